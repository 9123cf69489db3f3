# Sourced by bin/build and bin/compile: finds the Python an earlier Python buildpack
# installed and checks that the app's dependencies include assetbuild.
# Sets python_bin or exits 1 with a message that says what to do.

find_python() {
  local candidate
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; then
      python_bin=$(command -v "$candidate")
      break
    fi
  done
  if [[ -z "${python_bin:-}" ]]; then
    echo "assetbuild buildpack: error: no Python 3.11+ on PATH; put a Python buildpack" \
         "(paketo-buildpacks/python, heroku/python) before this one" >&2
    exit 1
  fi
  if ! "$python_bin" -c 'import assetbuild' >/dev/null 2>&1; then
    echo "assetbuild buildpack: error: assetbuild is not installed for $python_bin;" \
         "add 'assetbuild' to the app's requirements so the Python buildpack installs it" >&2
    exit 1
  fi
}
