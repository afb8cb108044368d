# bash and busybox's applets on a writable file system: each line's output compared with Linux's.
echo "=== begin files"
cd /tmp && mkdir work && cd work && echo "cwd: $(pwd)"
echo "first" > out.txt; echo "second" >> out.txt; echo "redirect and append: $(cat out.txt | tr '\n' ' ')"
{ echo "group a"; /bin/echo "group b (a program)"; echo "group c"; } > group.txt; echo "one offset: $(wc -l < group.txt) lines"; cat group.txt
( echo "subshell line"; /bin/echo "program line" ) >> group.txt; tail -n 2 group.txt
exec 3> fd3.txt; echo "through fd 3" >&3; /bin/echo "a program on fd 3" >&3; exec 3>&-; cat fd3.txt
cat > here.txt <<END
here document into a file: $((2 + 3))
END
cat here.txt
while read -r line; do echo "read back: $line"; done < out.txt
set -o noclobber; (echo clobber > out.txt) 2>/dev/null || echo "noclobber refuses"; set +o noclobber
mkdir -p a/b/c && touch a/b/c/leaf a/top && echo "find: $(find a | sort | tr '\n' ' ')"
cp out.txt a/b/copy.txt && mv a/b/copy.txt a/moved.txt && echo "cp and mv: $(cat a/moved.txt | head -n 1)"
ln -s ../out.txt a/link && echo "symlink: $(readlink a/link) $(cat a/link | wc -l)"
ln out.txt hard.txt && echo "hard link count: $(stat -c %h out.txt)"
rm hard.txt && echo "after rm: $(stat -c %h out.txt)"
chmod 700 out.txt && echo "mode: $(stat -c %a out.txt)" && [ -x out.txt ] && echo "test -x: yes"
printf 'line %s\n' 3 1 2 3 > nums.txt; echo "sort -u: $(sort -u nums.txt | tr '\n' ' ')"; echo "uniq -c: $(sort nums.txt | uniq -c | tr -s ' ' | tr '\n' ';')"
echo "grep -c: $(grep -c line nums.txt) sed: $(sed -n '2p' nums.txt) awk: $(awk '{s += $2} END {print s}' nums.txt)"
echo "xargs: $(ls | sort | xargs echo)"
echo "cut: $(echo a:b:c | cut -d: -f2) tr: $(echo abc | tr a-c A-C) head: $(seq 10 | head -n 3 | tr '\n' ' ')"
seq 1 5000 > many.txt; echo "big file: $(wc -l < many.txt) lines, $(wc -c < many.txt) bytes, last $(tail -n 1 many.txt)"
mkdir empty; rmdir empty && echo "rmdir: ok"; rmdir a 2>/dev/null || echo "rmdir of a non-empty directory fails"
mv a renamed && [ -d renamed ] && [ ! -e a ] && echo "directory renamed"
rm -r renamed && echo "rm -r: $(ls | sort | tr '\n' ' ')"
tmp=$(mktemp) && echo "mktemp: $(dirname $tmp)" && rm "$tmp"
: > empty.txt; echo "truncated: $(wc -c < empty.txt)"
echo "test -s: $([ -s out.txt ] && echo yes) $([ -s empty.txt ] || echo no)"
printf '#!/bin/sh\necho "a script written here says $1"\n' > s.sh && chmod +x s.sh && ./s.sh hello
printf '#! /bin/busybox   echo   \n' > t.sh && chmod 755 t.sh && ./t.sh "runs busybox with its one argument"
printf 'echo no interpreter line\n' > plain.sh && chmod +x plain.sh && ./plain.sh
cp /bin/busybox ./busybox && ./busybox echo "a copied program runs" && echo "its status: $?"
mount -t proc proc /proc 2>/dev/null # Linux's /init has no /proc of its own; exo's libos answers for it
echo "process substitution: $(cat <(echo inner))"; diff <(seq 3) <(seq 3) && echo "diff of two substitutions: same"
exec 4< out.txt; echo "reopened by /dev/fd: $(head -n 1 /dev/fd/4) $(readlink /proc/self/fd/4)"; exec 4<&-
[ -d /proc/self/fd ] && echo "ls /proc/self/fd: $(ls /proc/self/fd | tr '\n' ' ')" && echo "ls with 7 open: $(ls /proc/self/fd 7< out.txt | tr '\n' ' ')"
echo "busybox's listing: $(/bin/busybox ls -a /proc/self/fd 5>/dev/null | tr '\n' ' ')"
echo "find stops at the links: $(find /proc/self/fd -type l | sort | tr '\n' ' ')"
exec 4< out.txt; (cd /proc/self/fd && echo "named in /proc/self/fd: $([ -e 4 ] && echo exists) $(readlink 4) $(head -n 1 4)"); exec 4<&-
cd / && rm -r /tmp/work && echo "cleaned: $(ls /tmp | wc -l)"
echo "=== end files"
