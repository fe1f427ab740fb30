# conftest.py -- this folder's own tests use the plugin from the source tree,
# installed or not (an installed deskmock registers the same plugin by name).
pytest_plugins = ["deskmock.pytest_plugin"]
