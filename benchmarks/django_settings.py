"""Minimal Django settings for `collectstatic` over the benchmark corpus.

BENCH_SOURCE is the corpus folder, BENCH_STATIC_ROOT the (fresh) output folder and
BENCH_STORAGE the staticfiles storage class under test.
"""

import os

SECRET_KEY = "benchmark-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["django.contrib.staticfiles"]
STATIC_URL = "/static/"
STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
STATICFILES_DIRS = [os.environ["BENCH_SOURCE"]]
STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": os.environ["BENCH_STORAGE"]},
}
