"""Settings for every environment, read from environment variables (django-environ).

Defaults are the embedded ones used by ``make run``: SQLite and a Celery broker that
needs no server, both under ``var/``. Production sets ``DATABASE_URL`` (PostgreSQL),
``CELERY_BROKER_URL`` (Redis or RabbitMQ) and ``DJANGO_SECRET_KEY``; see README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)


def _development_secret_key() -> str:
    """A per-checkout key kept under var/, so sessions survive a restart."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(get_random_secret_key())
        path.chmod(0o600)
    return path.read_text().strip()


# Production has no default: a missing key stops start-up (cookiecutter-django).
SECRET_KEY = (
    env.str("DJANGO_SECRET_KEY")
    if not DEBUG
    else env.str("DJANGO_SECRET_KEY", default="") or _development_secret_key()
)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # django.contrib.admin with the house's site, whose index is the managers' home
    # (home/apps.py, home/admin.py).
    "home.apps.OpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, not a CDN
    "django_filters",
    "import_export",
    "django_celery_beat",
    "django_celery_results",
    "captcha",  # django-simple-captcha: the sign-in challenge under SMS-pumping risk
    "campaigns",
    "ambassadors",
    "voting",
    "reports",
    # The managers' home and the pilot and campaign panels: above reports (home/apps.py).
    "home",
    # The student site: above every app (web/apps.py).
    "web",
    # The demo data (manage.py seed_demo); no models, and nothing imports it.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during login into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite with concurrent writers (web + worker + beat): Django's default deferred
    # transactions fail at once with "database is locked" when a reader upgrades to a
    # writer, ignoring the busy timeout. IMMEDIATE takes the write lock up front so the
    # timeout applies; WAL lets readers run beside the writer.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#database-is-locked-errors
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT: PostgreSQL compiles a query whose estimated cost is high, and the report's
    # queries (index lookups per new user) are estimated far above what they cost. For
    # 100,000 new users compiling added 1-2 s to each query that runs in about 1 s
    # without it (bench/bench_reports.py). https://www.postgresql.org/docs/15/jit-decision.html
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    # Server-side parameters, and psycopg prepares a statement the fifth time a
    # connection runs it: PostgreSQL then skips parsing and planning the API's hot
    # queries (the vote's INSERT, the token lookup), about a third of its CPU per vote
    # (bench/bench_votes.py). Behind PgBouncer in transaction mode this needs
    # max_prepared_statements (PgBouncer >= 1.21); DATABASE_PREPARED_STATEMENTS=0 turns it off.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#server-side-parameters-binding
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    # Object-level rules (an ambassador only touches their own school's rows) first,
    # then Django's model-level group permissions.
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Admin login throttling (django-axes, https://django-axes.readthedocs.io/en/latest/4_configuration.html):
# AXES_FAILURE_LIMIT wrong passwords for one username from one IP lock that pair out for
# AXES_COOLOFF_MINUTES (a dorm's shared IP does not lock out the other students, and a
# guessed username from elsewhere does not lock out its owner); a successful login
# resets the count. The client IP is the API's (NUM_PROXIES hops of X-Forwarded-For).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "voting.api.support.client_ip"
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"
# Passwords never reach the attempt log.
AXES_SENSITIVE_PARAMETERS = ["password", "password1", "password2"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# "Day" boundaries (daily vote limits, retention days) are local dates in this zone.
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The admin's own script and styles (no inline ones: CSP below).
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
# Public: the web server serves this folder at MEDIA_URL. Only approved entries' photos,
# thumbnails and posters are copied here (docs/files.md).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Django serves MEDIA_ROOT itself in development (and the tests' live server, which runs
# with DEBUG off); production's reverse proxy does (README "Production deployment").
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)
# Private: everything else that is stored (every entry's own files, receipts, import
# previews and parsed sheets). No URL maps to it; files leave it only through a view that
# checks the reader's permissions, by SENDFILE_BACKEND. It must not be inside MEDIA_ROOT.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "core.storage.PrivateStorage"},
    # django-import-export's preview stash (IMPORT_EXPORT_TMP_STORAGE_CLASS below).
    "import_export": {"BACKEND": "core.storage.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# How a private file is sent once a view has checked permissions (django-sendfile2,
# https://django-sendfile2.readthedocs.io/en/stable/backends.html): "django" streams it
# with FileResponse; "nginx" answers X-Accel-Redirect to SENDFILE_URL (an `internal`
# location aliasing PRIVATE_MEDIA_ROOT); "xsendfile" answers X-Sendfile (Apache
# mod_xsendfile, lighttpd); anything else is a dotted backend module.
_SENDFILE_BACKENDS = {
    "django": "core.sendfile_backend",
    "nginx": "django_sendfile.backends.nginx",
    "xsendfile": "django_sendfile.backends.xsendfile",
}
_sendfile_backend = env.str("SENDFILE_BACKEND", default="django")
SENDFILE_BACKEND = _SENDFILE_BACKENDS.get(_sendfile_backend, _sendfile_backend)
SENDFILE_ROOT = str(PRIVATE_MEDIA_ROOT)
SENDFILE_URL = env.str("SENDFILE_URL", default="/private-media")

# --- Cache ------------------------------------------------------------------------------
# The embedded default is a folder under VAR_DIR: the web server and the Celery worker
# are separate processes, and what one changes (a leaderboard snapshot bumps the public
# reads' version, docs/caching.md) the other must see. Production sets Redis.
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}?max_entries=20000")
}

# --- REST framework ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Error enums per operation, required output fields, no [{}] security
    # (voting/api/schema.py; docs/api.md).
    "DEFAULT_SCHEMA_CLASS": "voting.api.schema.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only (entry submission declares multipart itself): DRF's default adds
    # form and multipart, which the schema then offers and generated clients send.
    "DEFAULT_PARSER_CLASSES": ["voting.api.support.JSONParser"],
    # Accept chooses, not ?format= (one representation per endpoint; the schema view
    # keeps ?format=json).
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "voting.api.support.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "voting.api.support.Pagination",
    "PAGE_SIZE": 20,
    # Voters and the app backend send bearer tokens; no session auth, so no CSRF gap.
    "DEFAULT_AUTHENTICATION_CLASSES": ["voting.api.authentication.VoterTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "EXCEPTION_HANDLER": "voting.api.support.exception_handler",
    # How many reverse proxies we sit behind: the client IP is taken that many hops from
    # the right of X-Forwarded-For, so a client cannot spoof it (0 = REMOTE_ADDR only).
    # https://www.django-rest-framework.org/api-guide/throttling/#how-clients-are-identified
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    # Bursts only: the vote limits themselves are database constraints. Campus dorms
    # share one public IP, so per-IP rates are generous.
    "DEFAULT_THROTTLE_RATES": {
        "otp_phone": env.str("THROTTLE_OTP_PHONE", default="5/hour"),
        "otp_ip": env.str("THROTTLE_OTP_IP", default="300/hour"),
        "verify_phone": env.str("THROTTLE_VERIFY_PHONE", default="20/hour"),
        "verify_ip": env.str("THROTTLE_VERIFY_IP", default="600/hour"),
        "vote_voter": env.str("THROTTLE_VOTE_VOTER", default="60/min"),
        "vote_ip": env.str("THROTTLE_VOTE_IP", default="3000/min"),
        "submit_voter": env.str("THROTTLE_SUBMIT_VOTER", default="20/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Campus campaign manager API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and docs are public: with DRF's default (voter token) authentication a
    # client holding a service token or a revoked voter token got 401 for the schema.
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,  # multipart uploads get a binary request schema
    # Self-hosted Swagger UI (drf-spectacular-sidecar): /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "voting.api.schema.postprocess_error_codes",  # the ErrorCode component
    ],
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "EntryStatusEnum": "voting.models.Entry.Status",
        "VoteStatusEnum": "voting.models.Vote.Status",
    },
}

# The proxies whose X-Forwarded-For hops are believed (addresses or networks), at most
# NUM_PROXIES of them (voting/api/support.py: client_ip). A client reaching gunicorn from
# any other address is known by that address, whatever header it sends.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.0/8", "::1/128"])

# --- Sign-in and the public API ----------------------------------------------------------
# One-time codes go out through SMS_BACKEND: "console" logs them, "file" writes one JSON
# file per code into SMS_FILE_PATH, or a dotted path to a gateway class (core/sms.py).
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))
# SMS_BACKEND=aliyun or tencent: a real gateway (core/sms_gateways.py). Each sends only
# a template approved in its console; SMS_TEMPLATE_PARAMS are the template's variables in
# order, from "code" and "minutes" (the code's validity).
SMS_TEMPLATE_PARAMS = env.str("SMS_TEMPLATE_PARAMS", default="code")
SMS_TIMEOUT_SECONDS = env.int("SMS_TIMEOUT_SECONDS", default=10)
# https://help.aliyun.com/zh/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
ALIYUN_SMS_ACCESS_KEY_ID = env.str("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env.str("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env.str("ALIYUN_SMS_SIGN_NAME", default="")
ALIYUN_SMS_TEMPLATE_CODE = env.str("ALIYUN_SMS_TEMPLATE_CODE", default="")
ALIYUN_SMS_ENDPOINT = env.str("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com")
# https://cloud.tencent.com/document/api/382/55981
TENCENT_SMS_SECRET_ID = env.str("TENCENT_SMS_SECRET_ID", default="")
TENCENT_SMS_SECRET_KEY = env.str("TENCENT_SMS_SECRET_KEY", default="")
TENCENT_SMS_SDK_APP_ID = env.str("TENCENT_SMS_SDK_APP_ID", default="")
TENCENT_SMS_SIGN_NAME = env.str("TENCENT_SMS_SIGN_NAME", default="")
TENCENT_SMS_TEMPLATE_ID = env.str("TENCENT_SMS_TEMPLATE_ID", default="")
TENCENT_SMS_REGION = env.str("TENCENT_SMS_REGION", default="ap-guangzhou")
TENCENT_SMS_ENDPOINT = env.str("TENCENT_SMS_ENDPOINT", default="https://sms.tencentcloudapi.com")
OTP_TTL_SECONDS = 5 * 60
OTP_MAX_ATTEMPTS = 5
# Also enforced in the database (codes per phone per hour), across processes.
OTP_MAX_PER_PHONE_PER_HOUR = env.int("OTP_MAX_PER_PHONE_PER_HOUR", default=10)
# The SMS a new prize winner gets (voting/services/awards.py), through SMS_BACKEND;
# {campaign}, {entry}, {prize} and {rank} are filled in.
PRIZE_AWARD_SMS_TEMPLATE = env.str(
    "PRIZE_AWARD_SMS_TEMPLATE",
    default="恭喜！您在“{campaign}”中的作品“{entry}”获得第{rank}名，奖品：{prize}。"
    "工作人员将联系您领奖。",
)
# SMS pumping (voting/services/sign_in_risk.py): past any of these a code request must
# solve a CAPTCHA (captcha_required 403). Codes per client IP per hour (generous: a campus
# NAT is one IP), per number range per hour (the first OTP_RISK_PREFIX_LENGTH characters
# of the E.164 number: "+86" and 7 digits is one range of 10,000 numbers), and codes of
# that IP or phone that expired never entered, per day.
OTP_RISK_PER_IP_PER_HOUR = env.int("OTP_RISK_PER_IP_PER_HOUR", default=30)
OTP_RISK_PER_PREFIX_PER_HOUR = env.int("OTP_RISK_PER_PREFIX_PER_HOUR", default=20)
OTP_RISK_PREFIX_LENGTH = env.int("OTP_RISK_PREFIX_LENGTH", default=10)
OTP_RISK_UNENTERED_PER_DAY = env.int("OTP_RISK_UNENTERED_PER_DAY", default=5)
# django-simple-captcha: https://django-simple-captcha.readthedocs.io/en/latest/advanced.html
CAPTCHA_TIMEOUT = 5  # minutes a challenge can be answered
CAPTCHA_LENGTH = 5
CAPTCHA_IMAGE_SIZE = (150, 50)
CAPTCHA_FONT_SIZE = 36
# Entries one voter may have in one round (pending, approved or disqualified; a rejected
# one does not count), enforced under a row lock (voting/services/entries.py).
ENTRY_MAX_PER_VOTER_PER_ROUND = env.int("ENTRY_MAX_PER_VOTER_PER_ROUND", default=1)
# New anonymous visitor ids one client IP may bring per hour; visits of more are not
# recorded, so random X-Visitor-Id values cannot inflate "unique visitors"
# (voting/services/traffic.py). Generous: a campus dorm shares one public IP. 0: no limit.
VISITORS_MAX_NEW_PER_IP_PER_HOUR = env.int("VISITORS_MAX_NEW_PER_IP_PER_HOUR", default=300)
# Public reads (campaign, entries, leaderboard; API and site) are kept this many
# seconds in the shared cache, and invalidated sooner by what changes them (a snapshot,
# a moderation, a campaign edit: docs/caching.md). Clients and proxies may keep a
# response PUBLIC_CACHE_MAX_AGE seconds (Cache-Control), then revalidate by its ETag.
PUBLIC_CACHE_SECONDS = env.int("PUBLIC_CACHE_SECONDS", default=600)
PUBLIC_CACHE_MAX_AGE = env.int("PUBLIC_CACHE_MAX_AGE", default=10)
# Visits are buffered in Redis (when CACHE_URL is Redis) and written in batches by the
# task voting.visits_flush (beat, every 15 s: editable in admin); a batch claimed by a
# worker that died is claimed again after VISITS_RECLAIM_SECONDS (docs/caching.md).
VISITS_RECLAIM_SECONDS = env.int("VISITS_RECLAIM_SECONDS", default=120)
# Where /s/{share_code} sends people; {campaign} is the slug, {entry} the id, {code} the
# share code. Default: the entry's page on the student site (web/urls.py), keeping the
# share code as ?ref= so that sign-in attributes a new voter to the share.
SHARE_REDIRECT_URL = env.str("SHARE_REDIRECT_URL", default="/c/{campaign}/e/{entry}/?ref={code}")
# Absolute base URL of this site (scheme and host, no path), for links printed where no
# request is at hand: the QR code on share posters points at SITE_URL/s/{share_code}.
# The development default follows PORT, the port `make run` serves on (bin/run-dev).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
# An expired or foreign form on the site (or the admin) answers a page in the reader's
# language rather than Django's English one.
CSRF_FAILURE_VIEW = "web.views.errors.csrf_failure"
# Optional WeChat JS-SDK share card config (web/wechat.py): off while the app id is
# empty. https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html
WECHAT_APP_ID = env.str("WECHAT_APP_ID", default="")
WECHAT_APP_SECRET = env.str("WECHAT_APP_SECRET", default="")

# --- Photos (core/images.py, docs/contract.md "Photos") ------------------------------------
# Every stored image passes these caps (docs/library-traps.md "Pillow and uploads"): file
# size checked before reading, pixel count and sides from the header before decoding. Pillow's own
# MAX_IMAGE_PIXELS is lowered to PHOTO_MAX_PIXELS (voting/apps.py).
PHOTO_MAX_BYTES = env.int("PHOTO_MAX_BYTES", default=10 * 1024 * 1024)
PHOTO_MAX_PIXELS = env.int("PHOTO_MAX_PIXELS", default=40_000_000)
PHOTO_MAX_SIDE = env.int("PHOTO_MAX_SIDE", default=16384)
# What decoding one image may cost: width x height x bytes per pixel of what it decodes
# to, read from the header (JPEGs after their reduced-size decode). The pixel cap alone
# let a 34-byte lossless WebP of 16383x2000 decode to 131 MB. 64 MiB holds a 21 MP PNG
# or WebP photo; JPEGs up to PHOTO_MAX_PIXELS decode at a reduced scale well within it.
PHOTO_MAX_DECODED_BYTES = env.int("PHOTO_MAX_DECODED_BYTES", default=64 * 1024 * 1024)
# And all the photos of one contestant import's zip together (about 45 full-size
# 12-megapixel photos; JPEGs above the stored size decode at half size or less).
PHOTO_ZIP_MAX_DECODED_BYTES = env.int("PHOTO_ZIP_MAX_DECODED_BYTES", default=2 * 1024**3)
# The zip's members' sizes added up, as the zip declares them, before any is inflated.
PHOTO_ZIP_MAX_BYTES = env.int("PHOTO_ZIP_MAX_BYTES", default=1024**3)
# Images decoding at once in one process (threaded servers; each gunicorn sync worker
# or Celery prefork child is one process decoding one image).
PHOTO_DECODE_CONCURRENCY = env.int("PHOTO_DECODE_CONCURRENCY", default=2)
# The stored photo is re-encoded as a JPEG of at most this many pixels on its longer side.
PHOTO_STORED_MAX_SIDE = env.int("PHOTO_STORED_MAX_SIDE", default=2560)
PHOTO_JPEG_QUALITY = env.int("PHOTO_JPEG_QUALITY", default=85)
# Longer side of the derivatives drawn by a Celery task: list thumbnails and the detail
# image. Changing one redraws them (their file names carry the size).
PHOTO_THUMBNAIL_SIZE = env.int("PHOTO_THUMBNAIL_SIZE", default=480)
PHOTO_PREVIEW_SIZE = env.int("PHOTO_PREVIEW_SIZE", default=1280)
# A font with Chinese glyphs for share posters (a .ttf/.otf/.ttc path). Empty: Debian's
# fonts-noto-cjk where installed, else Pillow's default font (Chinese shows as boxes).
POSTER_FONT_PATH = env.str("POSTER_FONT_PATH", default="")

# --- Receipts (core/receipts.py) and private files (docs/files.md) ----------------------
# A receipt is a photo (re-encoded through the photo gate) or a PDF without active
# content, at most this big.
RECEIPT_MAX_BYTES = env.int("RECEIPT_MAX_BYTES", default=10 * 1024 * 1024)
# The periodic sweep (campaigns.tasks.private_files_sweep) deletes import previews and
# finished import jobs' parsed sheets older than these many hours.
IMPORT_PREVIEW_MAX_AGE_HOURS = env.int("IMPORT_PREVIEW_MAX_AGE_HOURS", default=24)
IMPORT_JOB_FILE_MAX_AGE_HOURS = env.int("IMPORT_JOB_FILE_MAX_AGE_HOURS", default=24)

# --- Spreadsheet import and export (django-import-export) ------------------------------
# https://django-import-export.readthedocs.io/en/stable/installation.html#settings
# Import and export are open to any staff user unless these are set (#608, #820): importing
# needs the "add" permission of the model, exporting the "view" permission (and the rows
# exported are the admin's school-scoped queryset).
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_USE_TRANSACTIONS = True
# Imports are recorded once in our audit log (who, when, file, counts), not as one admin
# LogEntry per row (10,000 rows, 10,000 entries).
IMPORT_EXPORT_SKIP_ADMIN_LOG = True
# The upload waits between preview and confirm in the private storage, which every web
# node and worker shares in production, not in one machine's /tmp (#251, #1320), and
# which no URL serves; a periodic task deletes what is left (docs/files.md).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "core.storage.PreviewStorage"
IMPORT_EXPORT_CHUNK_SIZE = 1000
# Our export formats escape every formula trigger (= + - @ tab CR); the library's own
# setting only strips a leading "=" (#1543), so it stays off.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
SPREADSHEET_MAX_BYTES = env.int("SPREADSHEET_MAX_BYTES", default=20 * 1024 * 1024)
SPREADSHEET_MAX_ROWS = env.int("SPREADSHEET_MAX_ROWS", default=50_000)
# A confirmed admin import of more rows than this runs as a Celery job (ImportJob).
IMPORT_ASYNC_ROW_THRESHOLD = env.int("IMPORT_ASYNC_ROW_THRESHOLD", default=2000)
# A preview of more rows than this, or with a photo zip of more files than that, is
# checked by a Celery job with progress in admin, not in the request (gunicorn's timeout).
IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD = env.int("IMPORT_ASYNC_PREVIEW_ROW_THRESHOLD", default=2000)
IMPORT_ASYNC_PREVIEW_PHOTOS = env.int("IMPORT_ASYNC_PREVIEW_PHOTOS", default=50)

# --- Celery (https://docs.celeryq.dev/en/stable/django/first-steps-with-django.html) ----
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: no server, one machine. Folders must exist and be
    # absolute; in == out so producer and consumer share one queue directory.
    # https://docs.celeryq.dev/projects/kombu/en/stable/reference/kombu.transport.filesystem.html
    _broker_dir = Path(env.str("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker")))
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.2,
    }
    # The stock channel can hand a consumer a half-written message (kombu#1551): ours
    # writes aside and renames (config/kombu_filesystem.py). The URL stays filesystem://.
    CELERY_BROKER_TRANSPORT = "config.kombu_filesystem:Transport"
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
# Results grow without bound: tasks opt in with ignore_result=False where read.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
# One task at a time per child: a long task (report, import) never holds a second
# message hostage while it runs, and a killed worker holds at most one unacknowledged.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's prefork pool, except that an idle child holds no shared lock, so a child
# killed by a signal cannot wedge the worker on the filesystem broker (config/celery_pool.py).
CELERY_WORKER_POOL = "config.celery_pool:TaskPool"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Long background work (import jobs, reports; core/work.py, docs/workers.md): a row still
# unfinished with no heartbeat for this long is sent to a worker again by the sweep (beat,
# every minute), and one started this many times without finishing is marked failed.
# The timeout must exceed the longest gap between two heartbeats: an import's final write
# transaction (seconds for 50,000 rows) or a report's longest phase (under its 10-minute
# time limit).
WORK_STALE_AFTER_SECONDS = env.int("WORK_STALE_AFTER_SECONDS", default=15 * 60)
WORK_MAX_ATTEMPTS = env.int("WORK_MAX_ATTEMPTS", default=3)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Production hardening ----------------------------------------------------------------
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/ and docs/security.md.
# Behind a proxy that terminates HTTPS and sets X-Forwarded-Proto (README "Production").
# Secure by default once debug is off; a plain-HTTP smoke test turns each off explicitly.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if not DEBUG else None
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# HSTS: browsers remember to use HTTPS only. Start low (e.g. 3600) on a new domain and
# raise to a year once HTTPS is known good everywhere; preload only once submitted.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4, https://django-csp.readthedocs.io/en/latest/configuration.html):
# every script and style comes from this site (no CDN: many are unreachable in mainland
# China anyway), and an inline <script> or <style> runs only with the request's nonce
# (``{{ request.csp_nonce }}`` in a template; the admin's, the import pages', Swagger UI's
# and the report charts' all comply). The student site lives with the same policy:
# self-hosted files, no inline handlers (onclick=...), nonce'd blocks. Images may also be
# data: URIs (Swagger UI's icons); CSP_IMG_SRC_EXTRA adds a media host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # blob: the site previews a photo chosen on the phone before it is uploaded.
        "img-src": [SELF, "data:", "blob:", *env.list("CSP_IMG_SRC_EXTRA", default=[])],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if WECHAT_APP_ID:
    # The WeChat JS-SDK is served only from WeChat's host (web/templates/web/entry.html).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["script-src"].append("https://res.wx.qq.com")
if env.bool("CSP_REPORT_ONLY", default=False):
    # Try a stricter policy in production without breaking anything: violations are only
    # reported (to CSP_REPORT_URI when set, else the browser console).
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None
if env.str("CSP_REPORT_URI", default=""):
    (CONTENT_SECURITY_POLICY or CONTENT_SECURITY_POLICY_REPORT_ONLY)["DIRECTIVES"]["report-uri"] = (
        env.str("CSP_REPORT_URI")
    )

# --- Fraud signals (voting/services/fraud_scan.py) -------------------------------------------
# Thresholds of the detectors that flag votes for staff review; nothing is invalidated
# until a person confirms a flag. No signal ever fires on an IP address alone: a campus
# dorm shares one public IP (docs/library-traps.md). The docstrings in
# voting/services/fraud_*.py say why each value; override the whole dict per deployment
# if a campus behaves differently.
FRAUD_THRESHOLDS: dict[str, int | float] = {
    # (a) one device id used by this many distinct voters within the window.
    "device_min_voters": 4,
    "device_window_minutes": 10,
    # (b) one exact user agent from one IP: this many voters within the window whose
    # accounts were also created within `ua_created_within_minutes` of each other, and
    # more than `ua_factor` times that user agent's ordinary rate from that IP (a busy
    # campus NAT sees many honest phones of one model). The window must divide 60.
    "ua_min_voters": 5,
    "ua_factor": 3,
    "ua_window_minutes": 10,
    "ua_created_within_minutes": 30,
    # (c) accounts voting within `fast_vote_seconds` of creation, flagged only as a
    # cluster of this many on one entry within the window (fast honest voters exist).
    "fast_vote_seconds": 10,
    "fast_min_voters": 5,
    "fast_window_minutes": 10,
    # (d) a window of an entry with at least `burst_min_votes` votes and more than
    # `burst_factor` times the entry's ordinary rate per window. The window must divide 60.
    "burst_window_minutes": 10,
    "burst_factor": 5,
    "burst_min_votes": 20,
    # (e) new voters of an entry with no app activity on or after the day they voted,
    # judged once `inactive_after_days` have passed.
    "inactive_after_days": env.int("FRAUD_INACTIVE_AFTER_DAYS", default=3),
    "inactive_min_voters": 10,
    "inactive_min_share": 0.9,
    "inactive_margin": 0.3,
    # (f) voters signed up through one entry's share link, voting for nothing else, with
    # this many accounts created within the window.
    "ring_min_voters": 8,
    "ring_window_minutes": 15,
    # (b) and (d) also need a count that honest arrivals at the group's ordinary rate
    # reach by chance with less than this probability (Poisson): a scan looks at
    # thousands of windows, and chance alone must not fire on a busy campus NAT.
    "noise_probability": 1e-6,
    # How many voter and vote ids a flag's evidence lists as a sample.
    "sample_size": 20,
}
# The close of a campaign (reports/tasks.py): a last fraud scan first, and optionally a
# wait after voting ends, e.g. FRAUD_INACTIVE_AFTER_DAYS x 24 so that the never-active
# signal judges the last days' voters before the standing is frozen and prizes awarded.
# Voting itself stops at the end of its window either way.
CAMPAIGN_CLOSE_FRAUD_SCAN = env.bool("CAMPAIGN_CLOSE_FRAUD_SCAN", default=True)
CAMPAIGN_CLOSE_DELAY_HOURS = env.float("CAMPAIGN_CLOSE_DELAY_HOURS", default=0)
