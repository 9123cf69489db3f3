"""Helpers shared by the tests (fixtures stay in tests/conftest.py).

cli          run the real CLI, write source trees, read manifests
release      hand-made releases (no compiler code) and the ``sri`` of bytes
release_check  an independent check that a release folder is whole
outputcheck  an independent checker of compiled releases (own scanners, node's parser)
corpus       the pinned npm packages and their builds, once per session
tree_gen     a generated tree for the crash and concurrency tests
s3servers    moto and SeaweedFS servers for the publish tests
watching     a running ``assetbuild watch``
nofiles      a guard that fails any filesystem call
"""
