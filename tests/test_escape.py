"""Log text renders as exactly its characters: never a tag, a link, a heading or an extra column."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from pipeline.escape import md_code, md_inline, plain
from pipeline.redact import redact_series
from pipeline.sources import ingest

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"

# GitHub-flavoured enough for what we escape against: tables and strikethrough on CommonMark.
GFM = MarkdownIt("commonmark").enable("table").enable("strikethrough")


@pytest.fixture(scope="module")
def hostile_texts() -> list[str]:
    events = ingest([HOSTILE]).events
    texts = [*redact_series(events["message"]), *redact_series(events["user_agent"].dropna())]
    return list(dict.fromkeys(texts))


def test_hostile_messages_escape_to_the_expected_markdown(hostile_texts: list[str]) -> None:
    assert [md_inline(text) for text in hostile_texts] == [
        r"GET /api/login?user=bob&password=\[REDACTED\]&next=/cart -> 200",
        r"GET /cb?code=ok&access_token=\[REDACTED\]&state=xyz -> 302",
        r"GET /files/report.pdf?X-Amz-Credential=\[REDACTED\]&X-Amz-Signature=\[REDACTED\] -> 200",
        "GET /search?q=&lt;script>alert(1)&lt;/script> -> 400",
        r"GET /a\|b\|c -> 404",
        r"POST /api/checkout?apiKey=\[REDACTED\]&Session=\[REDACTED\] -> 502",
        r"GET /redirect?next=%2Fcb%3Ftoken%3D\[REDACTED\]%26a%3D1 -> 302",
        r"login failed for bob password=\[REDACTED\] from 203.0.113.7",
        r"upstream call failed: Authorization: \[REDACTED\]",
        r'request body: {"card": "4111", "password": "\[REDACTED\]"}',
        r"boto: AKIA\[REDACTED\] \[REDACTED\] rejected",
        r"git clone https://\[REDACTED\]@github.com/acme/app.git failed",
        r"loaded key \[REDACTED PRIVATE KEY\] for tls",
        r'Traceback (most recent call last): File "app.py", line 3 ValueError: bad \| pipe'
        r" \`\`\` fence",
        "user evil name here &lt;img src=x onerror=alert(1)> & &amp;amp; TO&#68;O: not ours",
        r"proxy sent Proxy-Authorization: \[REDACTED\] and Cookie: theme=dark;"
        r" sessionid=\[REDACTED\]",
        "Mozilla/5.0 (X11; Linux x86_64)",
        "curl/8.5.0",
        "aws-sdk-go/1.44",
        "&lt;script>alert(document.cookie)&lt;/script>",
        r"evil \| agent \`rm -rf\` \[x\](javascript:alert(1))",
        "Mozilla/5.0",
        r"\# heading\x0A- item",
    ]


def _table(cells: list[str]) -> str:
    rows = [f"| {cell} | x |" for cell in cells]
    return "| event | evidence |\n|---|---|\n" + "\n".join(rows) + "\n"


def test_hostile_text_in_a_table_stays_in_its_cell(hostile_texts: list[str]) -> None:
    html = GFM.render(_table([md_inline(text) for text in hostile_texts]))
    assert html.count("<tr>") == len(hostile_texts) + 1
    assert html.count("<td>") == 2 * len(hostile_texts)
    assert re.findall(r"<(?!/?(?:table|thead|tbody|tr|th|td)>)[a-z]", html) == []


def test_hostile_text_in_a_table_renders_as_its_own_characters(hostile_texts: list[str]) -> None:
    html = GFM.render(_table([md_inline(text) for text in hostile_texts]))
    cells = re.findall(r"<td>(.*?)</td>\n<td>x</td>", html)
    expected = [GFM.utils.escapeHtml(plain(text)) for text in hostile_texts]  # type: ignore[attr-defined]
    assert cells == expected


def test_hostile_code_spans_render_as_their_own_characters(hostile_texts: list[str]) -> None:
    html = GFM.render(_table([md_code(text, table=True) for text in hostile_texts]))
    cells = re.findall(r"<td><code>(.*?)</code></td>", html)
    assert cells == [GFM.utils.escapeHtml(plain(text)) for text in hostile_texts]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# not a heading", r"\# not a heading"),
        ("> not a quote", r"\> not a quote"),
        ("- not a bullet", r"\- not a bullet"),
        ("+ not a bullet", r"\+ not a bullet"),
        ("12. not a list", r"12\. not a list"),
        ("3) not a list", r"3\) not a list"),
        ("=== not a heading underline", r"\=== not a heading underline"),
        ("a -> b", "a -> b"),
        ("a | b", r"a \| b"),
        ("`code`", r"\`code\`"),
        ("[x](http://evil)", r"\[x\](http://evil)"),
        ("![img](x.png)", r"!\[img\](x.png)"),
        ("<b>bold</b>", "&lt;b>bold&lt;/b>"),
        ("a < b && c", "a &lt; b && c"),
        ("&copy; &#169;", "&amp;copy; &amp;#169;"),
        ("*strong* ~~gone~~ $x$", r"\*strong\* \~\~gone\~\~ \$x\$"),
        ("_emph_ user_id", r"\_emph\_ user_id"),
        ("C:\\temp\\ \\n", "C:\\temp\\ \\n"),
        ("ends in \\", "ends in \\\\"),
        ("\\*", "\\\\\\*"),
        ("line one\nline two\r\n\tthree", "line one line two three"),
        ("a\u202eb\u200bc\ufeffd", "abcd"),
        ("bell\x07here", "bell here"),
        ("TODO: later", "TO&#68;O: later"),
        ("TODOS and todo stay", "TODOS and todo stay"),
        (None, ""),
        (502, "502"),
    ],
)
def test_inline_escaping(text: object, escaped: str) -> None:
    assert md_inline(text) == escaped


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("plain", "`plain`"),
        ("a ` b", "``a ` b``"),
        ("a ``` b ` c", "````a ``` b ` c````"),
        ("`starts", "`` `starts ``"),
        ("ends`", "`` ends` ``"),
        ("two\nlines", "`two lines`"),
        ("", ""),
        (None, ""),
    ],
)
def test_code_spans(text: object, code: str) -> None:
    assert md_code(text) == code


def test_code_span_in_a_table_escapes_pipes() -> None:
    assert md_code("a|b", table=True) == r"`a\|b`"
    assert md_code("a|b") == "`a|b`"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"ab |`*_[]()<>&#;-!\\~$\n\t1.", "TODO"])).map("".join))
def test_any_text_stays_one_cell_and_reads_the_same(text: str) -> None:
    html = GFM.render(_table([md_inline(text)]))
    cells = re.findall(r"<td>(.*?)</td>\n<td>x</td>", html)
    assert cells == [GFM.utils.escapeHtml(plain(text))]  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab |`\\<&*\n"))))
def test_any_text_as_code_reads_the_same(text: str) -> None:
    if not plain(text):
        return
    html = GFM.render(f"x {md_code(text)} y\n")
    assert html == f"<p>x <code>{GFM.utils.escapeHtml(plain(text))}</code> y</p>\n"  # type: ignore[attr-defined]
