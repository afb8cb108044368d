# busybox sh and applets over the archive's files, compared with Linux.
echo "=== begin applets"
ls /scripts
ls -l /etc/hostname | cut -c1-10
cat /etc/hostname
grep -c echo /scripts/applets.sh
grep -n 'begin' /scripts/*.sh | cut -d: -f1,2
sed -n '1p' /scripts/applets.sh | sed 's/busybox/BUSYBOX/'
awk 'BEGIN { for (i = 1; i <= 3; i++) s += i * i; print "awk:", s }'
echo "c b a b c c" | tr ' ' '\n' | sort | uniq -c | sort -rn | head -n 2
printf '1\n2\n3\n4\n5\n' | tail -n 2 | xargs echo tail:
wc -l < /scripts/applets.sh
find /scripts -name '*.sh' | sort
find / -maxdepth 1 -name etc -type d
seq 3 | xargs -n 1 expr 10 +
echo "one two three" | cut -d' ' -f2
echo "$(basename /a/b/c.txt .txt) $(dirname /a/b/c.txt)"
readlink /bin/ls
test -d /etc && echo "test -d: yes"
[ -x /bin/busybox ] && echo "test -x: yes"
f() { echo "sh function: $1"; }; f arg
echo "sh arithmetic: $(( 6 * 7 ))"
x=$(echo sub); echo "sh substitution: $x"
(cd /scripts && pwd)
pwd
cat /etc/hostname.link
ls -d /etc/hostname.link/ 2>/dev/null || echo "a link to a file is no directory"
cd /bin/../etc/./ && pwd && cd /
echo "=== end applets"
