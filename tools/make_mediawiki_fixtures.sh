#!/usr/bin/env bash
# Rebuild the MediaWiki fixtures in tests/fixtures/mediawiki/ from genuine
# MediaWiki output, on Debian 12 (MediaWiki 1.39 LTS from the distribution).
#
# It installs the packages it needs (apt-get, through sudo unless run as
# root), sets up a throwaway wiki in a temporary directory (SQLite), creates
# two authors, makes every edit listed in source/edits.tsv at that edit's
# date (through faketime, so the history is the same on every run), dumps the
# wiki with dumpBackup.php and Special:Export, makes the two malformed copies,
# and saves MediaWiki's own HTML of each main-namespace page.
#
#   tools/make_mediawiki_fixtures.sh
#
# Nothing outside the repository and the temporary directory is changed: the
# wiki's LocalSettings.php lives in the temporary directory and is found
# through MW_CONFIG_FILE. The temporary directory is removed at the end
# (KEEP_WIKI=1 keeps it and prints where it is).
set -euo pipefail

REPOSITORY=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPOSITORY/tests/fixtures/mediawiki
SOURCE=$OUT/source
MEDIAWIKI=/usr/share/mediawiki
PACKAGES=(mediawiki php-sqlite3 php-mbstring php-xml php-intl faketime libxml2-utils curl)

# Every date is UTC, for MediaWiki and for faketime alike.
export TZ=UTC

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    sudo_command=()
    [ "$(id -u)" -eq 0 ] || sudo_command=(sudo)
    "${sudo_command[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

WORK=$(mktemp -d /tmp/kcr-mediawiki.XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    if [ "${KEEP_WIKI:-0}" = 1 ]; then
        echo "The wiki is kept in $WORK (MW_CONFIG_FILE=$WORK/LocalSettings.php)" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
export MW_CONFIG_FILE=$WORK/LocalSettings.php

# maintenance DATE SCRIPT ARGS...: run a maintenance script with the clock
# stopped at DATE, so the revision it saves has exactly that timestamp.
maintenance() {
    local when=$1 script=$2
    shift 2
    faketime -f "$when" php "$MEDIAWIKI/maintenance/$script" "$@"
}

password() { head -c 24 /dev/urandom | base64 | tr -d '/+='; }

# start_server DATE: serve the wiki on a free local port, the clock stopped at DATE.
start_server() {
    local clock=(faketime -f "$1")
    PORT=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo explode(":", stream_socket_get_name($s, false))[1];')
    "${clock[@]}" php -S "127.0.0.1:$PORT" -t "$MEDIAWIKI" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 50); do
        curl -s -o /dev/null "http://127.0.0.1:$PORT/api.php" && return 0
        sleep 0.1
    done
    echo "The PHP server did not start; see $WORK/server.log" >&2
    exit 1
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# json_field EXPRESSION: read JSON on stdin and print the PHP expression over $d.
json_field() { php -r '$d = json_decode(file_get_contents("php://stdin"), true); echo '"$1"';'; }

echo "Installing a throwaway wiki in $WORK"
mkdir -p "$WORK/data"
maintenance "2024-01-05 08:00:00" install.php --quiet \
    --dbtype sqlite --dbpath "$WORK/data" --confpath "$WORK" \
    --server http://localhost --scriptpath "" \
    --extensions Cite,ParserFunctions \
    --pass "$(password)" KCRTest Admin >/dev/null
for user in "Alice Editor" "Bob Writer"; do
    maintenance "2024-01-05 08:30:00" createAndPromote.php --quiet "$user" "$(password)"
done

echo "Making the edits in source/edits.tsv"
while IFS=$'\t' read -r when user flag title file summary; do
    case $when in '#'* | '') continue ;; esac
    [ "$summary" = - ] && summary=
    if [ "$user" = anonymous ]; then
        # edit.php always edits as a named user; an edit by an IP address
        # goes through the API, as a logged-out reader's edit would.
        start_server "$when"
        response=$(curl -s "http://127.0.0.1:$PORT/api.php" \
            --data-urlencode action=edit --data-urlencode format=json \
            --data-urlencode "title=$title" --data-urlencode "summary=$summary" \
            --data-urlencode "text@$SOURCE/$file" --data-urlencode 'token=+\')
        stop_server
        case $response in *'"result":"Success"'*) ;; *)
            echo "The anonymous edit of $title failed: $response" >&2
            exit 1
            ;;
        esac
    else
        options=(--user "$user" --summary "$summary")
        [ "$flag" = minor ] && options+=(--minor)
        maintenance "$when" edit.php --quiet "${options[@]}" "$title" <"$SOURCE/$file"
    fi
done <"$SOURCE/edits.tsv"
maintenance "2024-06-30 12:00:00" runJobs.php --quiet

echo "Dumping"
maintenance "2024-06-30 12:00:00" dumpBackup.php --quiet --full >"$OUT/kcr-full-0.11.xml"
maintenance "2024-06-30 12:00:00" dumpBackup.php --quiet --full --schema-version 0.10 >"$OUT/kcr-full-0.10.xml"
maintenance "2024-06-30 12:00:00" dumpBackup.php --quiet --current >"$OUT/kcr-current.xml"

start_server "2024-06-30 12:00:00"
API="http://127.0.0.1:$PORT/api.php"

# Special:Export of every page in edits.tsv, with its whole history. MediaWiki
# 1.39 writes the same bytes as dumpBackup.php --full; it is kept only if not.
grep -v '^#' "$SOURCE/edits.tsv" | cut -f4 | awk '!seen[$0]++' >"$WORK/titles.txt"
curl -s "http://127.0.0.1:$PORT/index.php?title=Special:Export" \
    --data-urlencode "pages@$WORK/titles.txt" --data-urlencode wpDownload=1 \
    >"$WORK/special-export.xml"
if cmp -s "$WORK/special-export.xml" "$OUT/kcr-full-0.11.xml"; then
    echo "Special:Export with history wrote the same file as dumpBackup.php --full"
    rm -f "$OUT/kcr-special-export.xml"
else
    echo "Special:Export with history differs from dumpBackup.php --full: kcr-special-export.xml"
    cp "$WORK/special-export.xml" "$OUT/kcr-special-export.xml"
fi

# Two broken copies of the full dump (README.md says where each is broken).
# kcr-truncated.xml stops 20 characters into the line after the middle one,
# as a download cut off mid-element would.
lines=$(wc -l <"$OUT/kcr-full-0.11.xml")
head -n $((lines / 2)) "$OUT/kcr-full-0.11.xml" >"$OUT/kcr-truncated.xml"
sed -n "$((lines / 2 + 1))p" "$OUT/kcr-full-0.11.xml" | head -c 20 >>"$OUT/kcr-truncated.xml"
echo "kcr-truncated.xml ends inside line $((lines / 2 + 1)): $(tail -n 1 "$OUT/kcr-truncated.xml")"
# kcr-bad-element.xml misspells the closing tag of the last <timestamp>, so
# every page before the broken one is well formed.
broken=$(grep -n '<timestamp>' "$OUT/kcr-full-0.11.xml" | tail -n 1 | cut -d: -f1)
sed "${broken}s|</timestamp>|</timestmp>|" "$OUT/kcr-full-0.11.xml" >"$OUT/kcr-bad-element.xml"
echo "kcr-bad-element.xml is broken on line $broken: $(sed -n "${broken}p" "$OUT/kcr-bad-element.xml")"

echo "Rendering main-namespace pages"
rm -rf "$OUT/rendered"
mkdir -p "$OUT/rendered"
curl -s "$API?action=query&list=allpages&apnamespace=0&aplimit=max&format=json&formatversion=2" |
    json_field 'implode("\n", array_column($d["query"]["allpages"], "title")) . "\n"' >"$WORK/main.txt"
while IFS= read -r title; do
    # The parser's HTML of the latest revision, then the category links the
    # skin shows at the foot of the page (when it has categories). Redirects
    # are not followed: a redirect's file is MediaWiki's "Redirect to" box.
    curl -s -G "$API" --data-urlencode action=parse --data-urlencode "page=$title" \
        --data-urlencode prop='text|categorieshtml' --data-urlencode formatversion=2 \
        --data-urlencode disableeditsection=1 --data-urlencode disablelimitreport=1 \
        --data-urlencode format=json |
        json_field 'rtrim($d["parse"]["text"]) . "\n" . (strpos($d["parse"]["categorieshtml"], "mw-normal-catlinks") === false ? "" : rtrim($d["parse"]["categorieshtml"]) . "\n")' \
            >"$OUT/rendered/${title// /_}.html"
done <"$WORK/main.txt"
stop_server

echo "Checking"
for dump in kcr-full-0.11.xml kcr-full-0.10.xml kcr-current.xml kcr-special-export.xml; do
    [ ! -e "$OUT/$dump" ] || xmllint --noout "$OUT/$dump"
done
for dump in kcr-truncated.xml kcr-bad-element.xml; do
    if xmllint --noout "$OUT/$dump" 2>/dev/null; then
        echo "$dump should not be well-formed XML" >&2
        exit 1
    fi
done
echo "Done: $(grep -o '<generator>[^<]*' "$OUT/kcr-full-0.11.xml" | cut -c12-), $(du -sh "$OUT" | cut -f1) in $OUT"
