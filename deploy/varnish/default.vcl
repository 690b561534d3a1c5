# Varnish 7.1 in front of KCR Wiki's app servers (deploy/varnish/README.md).
#
# Kept: anonymous GET and HEAD answers that the app marks "public", for as
# long as its Surrogate-Control says (a day, when the app purges this proxy:
# KCR_PURGE_URLS). Everything else reaches the app: logged-in users (session
# cookie), anyone with a CSRF token or a message waiting, POSTs, and query
# strings the app does not cache either, and the view beacons
# (/wiki/<Title>/seen.gif) that count the kept pages' views. The app bans
# what a change alters with "BAN /" and a KCR-Ban header ("pages 12 34" or
# "all"), from the addresses in the purgers ACL only. Bans match object
# headers only (the KCR-Pages tags), so the ban lurker clears them in the
# background.
vcl 4.1;

import std;

# The app server (`make serve-cached` replaces host and port). With several,
# add a backend for each and a director (vmod directors round_robin).
backend app {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 2s;
    .first_byte_timeout = 60s;
}

# Who may ban: the app servers. Add their addresses.
acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.KCR-Ban == "all") {
            ban("obj.status != 0");
            return (synth(200, "Banned"));
        }
        if (req.http.KCR-Ban ~ "^pages( [0-9]+)+$") {
            # Tags look like ",12,34,": the page ids, each between commas.
            ban("obj.http.KCR-Pages ~ ,("
                + regsuball(regsub(req.http.KCR-Ban, "^pages ", ""), " ", "|")
                + "),");
            return (synth(200, "Banned"));
        }
        return (synth(400, "Bad ban"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # A page's view beacon counts one view each time it reaches the app: never
    # kept, never a request waiting on another's answer.
    if (req.url ~ "^/wiki/[^/?]+/seen\.gif$") {
        set req.http.KCR-Pass = "beacon";
        return (pass);
    }
    # Django's session, CSRF and message cookies mean a personal page.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|csrftoken|messages)=") {
        set req.http.KCR-Pass = "cookie";
        return (pass);
    }
    # The app keeps only the plain URLs of a page (and ?redirect=no); made-up
    # query strings would fill the cache with copies no ban names.
    if (req.url ~ "\?" && req.url !~ "\?redirect=no$") {
        set req.http.KCR-Pass = "query";
        return (pass);
    }
    # Any other cookie (the vote cookie, analytics) changes nothing a page
    # shows, so every anonymous reader shares one copy (Vary: Cookie).
    unset req.http.Cookie;
    return (hash);
}

# One copy for every Host name: the app makes every address in a page from
# its DJANGO_SITE_URL, never from the Host header, and refuses (400, never
# kept) a Host it does not serve. So bans need not name a host, and a reader
# who types another spelling of it cannot get a copy no ban reaches. One site
# per Varnish instance.
sub vcl_hash {
    hash_data(req.url);
    return (lookup);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "public"
        || beresp.http.Cache-Control ~ "(private|no-store|no-cache)") {
        # Not for keeping: ask the app again each time (hit-for-miss).
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    if (beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "^.*max-age=([0-9]+).*$", "\1") + "s",
            beresp.ttl);
    }
    unset beresp.http.Surrogate-Control;
    return (deliver);
}

sub vcl_deliver {
    if (req.http.KCR-Pass) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.KCR-Pages;
}
