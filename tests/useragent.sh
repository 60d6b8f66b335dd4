#!/bin/sh
# SPDX-License-Identifier: MIT
# useragent.sh - ua_family(), ua_os() and ua_class() on real user agents,
# each classified here by hand (family, OS, class), read from a combined log
# in every mode and as bare lines; null gives null, odd bytes no crash.
. "${SRCDIR:-.}/tests/lib.sh"

py_checks << 'EOF'
import collections, csv, json, os, re, subprocess, sys
import rftest
from rftest import check

T, RF = rftest.setup(sys.argv)


AGENTS = [
    # browsers
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Chrome", "Windows", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
     "Edge", "Windows", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582",
     "Edge", "Windows", "browser"),
    ("Mozilla/5.0 (Linux; Android 10; HD1913) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36 EdgA/120.0.2210.126",
     "Edge", "Android", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
     "Opera", "Windows", "browser"),
    ("Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera", "Windows", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "Windows", "browser"),
    ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "Linux", "browser"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "macOS", "browser"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
     "Firefox", "iOS", "browser"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
     "Safari", "macOS", "browser"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
     "Safari", "iOS", "browser"),
    ("Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
     "Safari", "iOS", "browser"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
     "Chrome", "iOS", "browser"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Chrome", "macOS", "browser"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
     "Chrome", "Android", "browser"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Chrome", "Linux", "browser"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
     "Chrome", "Chrome OS", "browser"),
    ("Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
     "Samsung Internet", "Android", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36",
     "Yandex Browser", "Windows", "browser"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Vivaldi/6.5.3206.53",
     "Vivaldi", "Windows", "browser"),
    ("Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", "IE", "Windows", "browser"),
    ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)", "IE", "Windows", "browser"),
    ("Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063",
     "Edge", "Windows Phone", "browser"),
    ("Mozilla/5.0 (X11; FreeBSD amd64; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox", "FreeBSD", "browser"),
    # crawlers: most say Chrome or Safari too
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Googlebot", "Other", "crawler"),
    ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "Googlebot", "Android", "crawler"),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
     "bingbot", "Other", "crawler"),
    ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot", "Other", "crawler"),
    ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "Baiduspider", "Other", "crawler"),
    ("DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)", "DuckDuckBot", "Other", "crawler"),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", "AhrefsBot", "Other", "crawler"),
    ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)", "GPTBot", "Other",
     "crawler"),
    ("Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)", "Yahoo! Slurp", "Other", "crawler"),
    ("Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)", "Other", "Other", "crawler"),
    # bots that fetch a page or check a site
    ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "facebookexternalhit", "Other", "bot"),
    ("Twitterbot/1.0", "Twitterbot", "Other", "bot"),
    ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Slackbot", "Other", "bot"),
    ("Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "UptimeRobot", "Other", "bot"),
    ("AdsBot-Google (+http://www.google.com/adsbot.html)", "Other", "Other", "bot"),
    # tools and libraries
    ("curl/8.5.0", "curl", "Other", "tool"),
    ("Wget/1.21.4", "Wget", "Other", "tool"),
    ("Wget/1.20.3 (linux-gnu)", "Wget", "Linux", "tool"),
    ("python-requests/2.31.0", "python-requests", "Other", "tool"),
    ("Python-urllib/3.11", "Python-urllib", "Other", "tool"),
    ("Go-http-client/1.1", "Go-http-client", "Other", "tool"),
    ("okhttp/4.12.0", "okhttp", "Other", "tool"),
    ("Java/17.0.9", "Java", "Other", "tool"),
    ("PostmanRuntime/7.36.0", "PostmanRuntime", "Other", "tool"),
    ("libwww-perl/6.72", "libwww-perl", "Other", "tool"),
    # nothing known
    ("-", "Other", "Other", "other"),
    ("Mozilla/5.0", "Other", "Other", "other"),
    ("", "Other", "Other", "other"),
]
check(len(AGENTS) >= 40, "about 40 agents")

Q = "eval f = ua_family(agent), o = ua_os(agent), c = ua_class(agent) | select agent, f, o, c"
with open(T + "/access.log", "w") as f:
    for i in range(40):
        for ua, *_ in AGENTS:
            f.write('10.0.%d.%d - - [01/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "%s"\n' % (i, len(ua) % 250, ua))
want = [{"agent": ua, "f": fam, "o": os_, "c": cl} for ua, fam, os_, cl in AGENTS] * 40
for mode in ["serial", "parallel", "pipeline", "multiprocess"]:
    p = subprocess.run([RF, "--format=json", "--mode=" + mode, "--buffer-size=64K", "parse combined | " + Q, T + "/access.log"],
                       capture_output=True)
    got = [json.loads(l) for l in p.stdout.decode().splitlines()]
    bad = [(w["agent"], (g.get("f"), g.get("o"), g.get("c")), (w["f"], w["o"], w["c"])) for g, w in zip(got, want) if g != w]
    check(p.returncode == 0 and len(got) == len(want) and not bad,
          "%s: %d of %d rows differ, (agent, got, want): %s %s" % (mode, len(bad), len(want), bad[:6], p.stderr[-300:]))

# a missing field: null; bytes that are no UTF-8, a NUL: still an answer
p = subprocess.run([RF, "--format=json", "parse logfmt | eval f = ua_family(ua), c = ua_class(ua) | select f, c"],
                   input=b"x=1\nua=\"curl/8\xff\xfe\"\n", capture_output=True)
rows = [json.loads(l) for l in p.stdout.decode(errors="replace").splitlines()]
check(p.returncode == 0 and rows == [{"f": None, "c": None}, {"f": "curl", "c": "tool"}], "null, invalid UTF-8: %r %r" % (rows, p.stderr))
p = subprocess.run([RF, "--format=tsv", "eval f = ua_family(line), o = ua_os(line) | select f, o"],
                   input=b"Mozilla \x00 (Android 14) Googlebot/2\r\n\xff\xfeFirefox/1", capture_output=True)
check(p.returncode == 0 and p.stdout == b"f\to\nGooglebot\tAndroid\nFirefox\tOther\n", "a NUL, CRLF, no last newline: %r %r" % (p.stdout, p.stderr))
# a typo gets a hint
p = subprocess.run([RF, "eval f = ua_famly(line)"], input=b"x\n", capture_output=True)
check(p.returncode == 2 and b"unknown function 'ua_famly'" in p.stderr, "unknown function: %r" % p.stderr)

rftest.summary()
EOF
finish
