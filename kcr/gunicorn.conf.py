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
