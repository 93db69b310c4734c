"""Tests of cnnplay/snippets: every generated program is executed and its result compared with
what the page computes."""
