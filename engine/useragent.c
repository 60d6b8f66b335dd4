/* SPDX-License-Identifier: MIT */
/* useragent.c - a small, approximate user-agent classifier: the family of
 * the browser or program, the operating system, and a class (browser, bot,
 * crawler, tool, other).
 *
 * Each answer is the first rule of a table whose token the agent contains
 * (a plain byte search, no regex).  The order is the knowledge: crawlers
 * and bots before browsers, since many of them also say Chrome and Safari;
 * Edge and Opera before Chrome, Chrome before Safari, as each of them
 * names the next; iOS before macOS ("like Mac OS X"), Android before Linux.
 * Agents lie and new ones appear every month: this is for an overview, not
 * for anything that must be exact. */
#include "config.h"
#include <string.h>
#include "enrich.h"

struct ua_rule {
	const char *token;
	const char *family;
	const char *class;
};

static const struct ua_rule family_rules[] = {
	/* search engines and other indexers */
	{ "Googlebot", "Googlebot", "crawler" },
	{ "bingbot", "bingbot", "crawler" },
	{ "YandexBot", "YandexBot", "crawler" },
	{ "Baiduspider", "Baiduspider", "crawler" },
	{ "DuckDuckBot", "DuckDuckBot", "crawler" },
	{ "Applebot", "Applebot", "crawler" },
	{ "Yahoo! Slurp", "Yahoo! Slurp", "crawler" },
	{ "AhrefsBot", "AhrefsBot", "crawler" },
	{ "SemrushBot", "SemrushBot", "crawler" },
	{ "MJ12bot", "MJ12bot", "crawler" },
	{ "PetalBot", "PetalBot", "crawler" },
	{ "GPTBot", "GPTBot", "crawler" },
	{ "ClaudeBot", "ClaudeBot", "crawler" },
	{ "CCBot", "CCBot", "crawler" },
	/* link previews and monitors: they fetch a page, they do not crawl */
	{ "facebookexternalhit", "facebookexternalhit", "bot" },
	{ "Twitterbot", "Twitterbot", "bot" },
	{ "Slackbot", "Slackbot", "bot" },
	{ "Discordbot", "Discordbot", "bot" },
	{ "TelegramBot", "TelegramBot", "bot" },
	{ "WhatsApp", "WhatsApp", "bot" },
	{ "UptimeRobot", "UptimeRobot", "bot" },
	{ "Pingdom", "Pingdom", "bot" },
	/* command-line tools and HTTP libraries */
	{ "curl/", "curl", "tool" },
	{ "Wget/", "Wget", "tool" },
	{ "python-requests/", "python-requests", "tool" },
	{ "Python-urllib/", "Python-urllib", "tool" },
	{ "aiohttp/", "aiohttp", "tool" },
	{ "Go-http-client/", "Go-http-client", "tool" },
	{ "okhttp/", "okhttp", "tool" },
	{ "Apache-HttpClient/", "Apache-HttpClient", "tool" },
	{ "libwww-perl/", "libwww-perl", "tool" },
	{ "PostmanRuntime/", "PostmanRuntime", "tool" },
	{ "axios/", "axios", "tool" },
	{ "HTTPie/", "HTTPie", "tool" },
	{ "node-fetch", "node-fetch", "tool" },
	{ "Java/", "Java", "tool" },
	/* whatever else calls itself a crawler or a bot */
	{ "crawler", "Other", "crawler" },
	{ "Crawler", "Other", "crawler" },
	{ "spider", "Other", "crawler" },
	{ "Spider", "Other", "crawler" },
	{ "bot", "Other", "bot" },
	{ "Bot", "Other", "bot" },
	/* browsers: each names the ones after it */
	{ "Edg/", "Edge", "browser" },
	{ "EdgA/", "Edge", "browser" },
	{ "EdgiOS/", "Edge", "browser" },
	{ "Edge/", "Edge", "browser" },
	{ "OPR/", "Opera", "browser" },
	{ "Opera", "Opera", "browser" },
	{ "SamsungBrowser/", "Samsung Internet", "browser" },
	{ "YaBrowser/", "Yandex Browser", "browser" },
	{ "Vivaldi/", "Vivaldi", "browser" },
	{ "FxiOS/", "Firefox", "browser" },
	{ "Firefox/", "Firefox", "browser" },
	{ "CriOS/", "Chrome", "browser" },
	{ "Chromium/", "Chromium", "browser" },
	{ "Chrome/", "Chrome", "browser" },
	{ "Safari/", "Safari", "browser" },
	{ "MSIE ", "IE", "browser" },
	{ "Trident/", "IE", "browser" },
	{ NULL, NULL, NULL },
};

static const struct ua_rule os_rules[] = {
	{ "Windows Phone", "Windows Phone", NULL },
	{ "Windows", "Windows", NULL },
	{ "iPhone", "iOS", NULL },
	{ "iPad", "iOS", NULL },
	{ "iPod", "iOS", NULL },
	{ "CrOS", "Chrome OS", NULL },
	{ "Android", "Android", NULL },
	{ "Macintosh", "macOS", NULL },
	{ "Mac OS X", "macOS", NULL },
	{ "FreeBSD", "FreeBSD", NULL },
	{ "OpenBSD", "OpenBSD", NULL },
	{ "Linux", "Linux", NULL },
	{ "linux", "Linux", NULL },   /* Wget's (linux-gnu) */
	{ "X11", "Linux", NULL },
	{ NULL, NULL, NULL },
};

static const struct ua_rule *first_rule(const struct ua_rule *rules, const char *ua, size_t n)
{
	for (const struct ua_rule *r = rules; r->token; r++)
		if (memmem(ua, n, r->token, strlen(r->token)))
			return r;
	return NULL;
}

const char *rf__ua_family(const char *ua, size_t n)
{
	const struct ua_rule *r = first_rule(family_rules, ua, n);
	return r ? r->family : "Other";
}

const char *rf__ua_class(const char *ua, size_t n)
{
	const struct ua_rule *r = first_rule(family_rules, ua, n);
	return r ? r->class : "other";
}

const char *rf__ua_os(const char *ua, size_t n)
{
	const struct ua_rule *r = first_rule(os_rules, ua, n);
	return r ? r->family : "Other";
}
