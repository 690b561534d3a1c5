"""gunicorn settings for `make serve` (`gunicorn kcr.wsgi -c kcr/gunicorn.conf.py`).

The Makefile gives the address and the number of workers; this file holds
what every server shares. tests/test_security.py checks it, and runs it.
"""

# The access log says what was served, not who asked or what they searched
# for: method, path without the query string (where search words are),
# status, bytes and milliseconds, and when. No address, user agent or
# referer, as the README promises readers.
accesslog = "-"
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# Whether a request came over HTTPS is Django's call alone
# (SECURE_PROXY_SSL_HEADER, trusted only behind a configured proxy): gunicorn
# would otherwise believe X-Forwarded-Proto from any client on 127.0.0.1.
secure_scheme_headers = {}
forwarded_allow_ips = ""

# A fresh worker now and then bounds what a slow leak can cost; the jitter
# keeps the workers from restarting together.
max_requests = 5000
max_requests_jitter = 500

# Threads, not one request per process: a thread that waits for a PDF or a
# large conversion (wiki.jobs, up to its deadline) does not hold up the
# readers its worker serves meanwhile. With sync workers, four hostile
# requests made an ordinary page view's p99 5.3 s; with four threads, 35 ms
# (`make bench-hostile`). Django and our code are thread-safe (the markdown
# converter is one per thread).
worker_class = "gthread"
threads = 4
