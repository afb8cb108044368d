/* Command-line lookup. */
#include "exo/cmdline.h"
#include "exo/string.h"

bool cmdline_get(const char *cmdline, const char *key, char *value, size_t size)
{
	size_t key_len = strlen(key);
	for (const char *word = cmdline; *word;) {
		while (*word == ' ')
			word++;
		size_t word_len = 0;
		while (word[word_len] && word[word_len] != ' ')
			word_len++;
		if (word_len >= key_len && strncmp(word, key, key_len) == 0 &&
		    (word_len == key_len || word[key_len] == '=')) {
			const char *val = word + key_len + (word_len > key_len);
			size_t val_len = word_len - (size_t)(val - word);
			if (size > 0) {
				size_t copy = MIN(val_len, size - 1);
				memcpy(value, val, copy);
				value[copy] = '\0';
			}
			return true;
		}
		word += word_len;
	}
	return false;
}
