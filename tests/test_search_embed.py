"""Search with the optional embedding signal (the ``embed`` extra), through the local Bot API. Skipped where the
model is not installed: the bot and every other test run without it.

The vectors of the pack's texts are cached in the same file ``python -m bench.search`` uses (data/, ignored by git),
so only the first run on a machine pays for embedding them (a minute or two of CPU)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace

import pytest

from bot.config import ConfigError, load_settings
from bot.search.embed import available
from tests.conftest import ROOT, start_app, stop_app
from tests.helpers import Person
from tests.test_search_e2e import opened

needs_model = pytest.mark.skipif(not available(), reason="the embedding model (the embed extra) is not installed")

CACHE = ROOT / "data" / "search-embeddings.npz"


@pytest.fixture
async def embed_app(settings):
    application = await start_app(replace(settings, search_embed=True, search_embed_cache=str(CACHE)))
    for _ in range(3000):  # the model loads in the background; search is lexical meanwhile
        if application.search.embedding_ready:
            break
        await asyncio.sleep(0.1)
    yield application
    await stop_app(application)


@needs_model
async def test_a_question_in_other_words_opens_the_answer(api, embed_app):
    assert embed_app.search.embedding_ready
    ru = Person(api, embed_app, language_code="ru")
    # "Where do I get a free lawyer": the lexical path alone is unsure about it.
    messages = await ru.send("где взять бесплатного адвоката")
    assert opened(messages, "free-lawyers", "ru")


@needs_model
async def test_a_question_about_something_else_still_gets_no_answer(api, embed_app):
    en = Person(api, embed_app, language_code="en")
    [message] = await en.send("how do I renew my car insurance")
    assert "I don't have a reviewed answer to this question." in message.text


def test_settings():
    base = {"TELEGRAM_BOT_TOKEN": "123:" + "a" * 30}
    assert load_settings(base).search_embed is available()  # auto: used when installed
    assert load_settings(base).search_embed_cache == "./data/search-embeddings.npz"
    assert load_settings(base | {"SEARCH_EMBED": "off"}).search_embed is False
    assert load_settings(base | {"SEARCH_EMBED_CACHE": ""}).search_embed_cache is None
    with pytest.raises(ConfigError, match="SEARCH_EMBED"):
        load_settings(base | {"SEARCH_EMBED": "yes"})
    if not available():
        with pytest.raises(ConfigError, match="not installed"):
            load_settings(base | {"SEARCH_EMBED": "on"})
    else:
        assert load_settings(base | {"SEARCH_EMBED": "on"}).search_embed is True


def test_bots_the_tests_start_run_without_the_model():
    """Every ``python -m bot ...`` a test starts gets its environment from the test process (tests/conftest.py
    sets SEARCH_EMBED=off there): with the extra installed, the default (auto) would have each of them load the
    model in the background."""
    probe = subprocess.run(
        [sys.executable, "-c", "from bot.config import load_settings; print(load_settings(require_token=False)"
                               ".search_embed)"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "False", probe.stderr


@pytest.mark.skipif(available(), reason="the embed extra is installed")
def test_bench_search_asked_for_the_model_without_the_extra_says_how_to_install_it():
    result = subprocess.run([sys.executable, "-m", "bench.search", "--embed"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "the embed extra is not installed: pip install -e '.[embed]'\n"
