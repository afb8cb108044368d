/* ls: the boot archive's files, with their sizes. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/";
	DIR *listing = opendir(dir);
	if (!listing) {
		perror(dir);
		return 1;
	}
	struct dirent *entry;
	while ((entry = readdir(listing))) {
		struct stat st;
		if (stat(entry->d_name, &st) == 0)
			printf("%8lld  %s\n", (long long)st.st_size, entry->d_name);
		else
			printf("       ?  %s\n", entry->d_name);
	}
	closedir(listing);
	return 0;
}
