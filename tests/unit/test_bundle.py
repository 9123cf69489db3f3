"""Unit tests of assetbuild.bundle: expanding a bundle's patterns, joining its parts."""

from __future__ import annotations

from assetbuild import bundle
from assetbuild.bundle import Bundle

NAMES = ["css/a.css", "css/b.css", "css/vendor/c.css", "js/one.js", "js/two.mjs", "js/lib/x.js",
         "img/a.png"]


def messages(problems) -> list[str]:
    assert all(p.level == "error" and p.file == "pyproject.toml" for p in problems)
    return [p.message for p in problems]


def test_patterns_expand_in_the_order_given_without_repeats():
    bundles, problems = bundle.plan({"all.js": ["js/two.mjs", "js/*.js", "js/**"],
                                     "site.css": ["css/*.css", "css/a.css"]},
                                    NAMES, "pyproject.toml")
    assert problems == []
    # Patterns in the order given, the matches of one pattern sorted by name; a "*"
    # crosses folders (fnmatch).
    assert bundles == [Bundle("all.js", "js", ("js/two.mjs", "js/lib/x.js", "js/one.js")),
                       Bundle("site.css", "css", ("css/a.css", "css/b.css", "css/vendor/c.css"))]


def test_every_mistake_is_reported():
    spec = {"../out.js": ["js/one.js"], "app.ts": ["js/one.js"], "css/a.css": ["css/b.css"],
            "mix.css": ["css/a.css", "js/one.js", "css/missing.css", "nothing/*.css"]}
    bundles, problems = bundle.plan(spec, NAMES, "pyproject.toml")
    assert messages(problems) == [
        "bundle '../out.js': the name must be a relative path like 'bundles/app.js'",
        "bundle 'app.ts': the name must end in .css or .js",
        "bundle 'css/a.css': a source file has the same logical name",
        "bundle 'mix.css': part 'js/one.js' is not a CSS file",
        "bundle 'mix.css': 'css/missing.css' matches no source file",
        "bundle 'mix.css': 'nothing/*.css' matches no source file",
    ]
    assert problems[2].hint == "choose another bundle name"
    assert bundles == [Bundle("mix.css", "css", ("css/a.css",))]


def test_a_bundle_with_no_parts_is_an_error():
    bundles, problems = bundle.plan({"empty.js": []}, NAMES, "pyproject.toml")
    assert messages(problems) == ["bundle 'empty.js': has no parts"]


def test_js_parts_are_kept_apart_and_lose_their_source_maps():
    joined = bundle.join("js", ["var a = 1\n//# sourceMappingURL=a.js.map\n",
                                "(function(){})()  \n", "/*# sourceMappingURL=c.map */b()"])
    assert joined == "var a = 1\n;\n(function(){})()\n;\nb()\n"


def test_css_imports_move_to_the_top_of_the_joined_stylesheet():
    joined = bundle.join("css", ['a{color:red}\n/*# sourceMappingURL=a.css.map */\n',
                                 '@import url("b.css");\nb{color:blue}'])
    assert joined.startswith('@import url("b.css");\n')
    assert joined.index("a{color:red}") < joined.index("b{color:blue}")
    assert "sourceMappingURL" not in joined and joined.count("@import") == 1
