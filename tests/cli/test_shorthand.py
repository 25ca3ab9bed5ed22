"""--status-details shorthand: what the AWS CLI's parser accepts, and only that."""

from __future__ import annotations

import pytest

from bulkjobs.cli._shorthand import ShorthandError, parse_string_map


class TestAccepted:
    @pytest.mark.parametrize(
        ("text", "parsed"),
        [
            ("reason=bad-fw", {"reason": "bad-fw"}),
            ("a=1,b=2", {"a": "1", "b": "2"}),
            ('reason="a,b"', {"reason": "a,b"}),
            ("reason='a,b',x=y", {"reason": "a,b", "x": "y"}),
            (r'q="say \"hi\""', {"q": 'say "hi"'}),
            (r"reason=a\,b", {"reason": "a,b"}),
            ("k = v", {"k": "v"}),
            ("a=1, b=2", {"a": "1", "b": "2"}),
            ("reason=bad build", {"reason": "bad build"}),
            ("k=v ", {"k": "v"}),
            ("url=https://x/y?z=1", {"url": "https://x/y?z=1"}),
            ("k:1=v", {"k:1": "v"}),
        ],
    )
    def test_parses_like_the_aws_cli(self, text: str, parsed: dict[str, str]) -> None:
        """Quoted values keep their commas; spaces around = and , are allowed."""
        assert parse_string_map(text) == parsed


class TestRefused:
    @pytest.mark.parametrize(
        ("text", "why"),
        [
            (" k = v ", "expected '='"),
            ("k=v,", "trailing ','"),
            ("reason=a,b", "quote it"),
            ("k=v,k=w", "given twice"),
            ("k=[a,b]", "must be a string"),
            ("k={a=b}", "must be a string"),
            ('k="unterminated', "unterminated"),
            ("novalue", "expected '='"),
            ('k="a"b', "expected ','"),
        ],
        ids=[
            "leading-space",
            "trailing-comma",
            "unquoted-comma",
            "duplicate-key",
            "list",
            "map",
            "unterminated-quote",
            "no-equals",
            "junk-after-quote",
        ],
    )
    def test_refuses_what_the_aws_cli_refuses(self, text: str, why: str) -> None:
        """Each refusal says what is wrong and where."""
        with pytest.raises(ShorthandError, match=why) as caught:
            parse_string_map(text)
        assert "at character" in str(caught.value)
