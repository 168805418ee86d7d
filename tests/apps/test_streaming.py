"""`Assistant.ask(on_event=...)`: the page's draft is the generator's real text, as it is produced."""

import pytest

from assistant.pipeline import EVENT_CHECKING, EVENT_GENERATING, EVENT_TEXT

pytestmark = pytest.mark.slow


def test_ask_reports_stages_and_streams_the_generators_text(assistant):
    events = []
    answer = assistant.ask("How long must invoices be paid within under the services agreement?",
                           on_event=lambda kind, text: events.append((kind, text)))
    kinds = [k for k, _ in events]
    assert kinds[0] == EVENT_GENERATING and kinds[-1] == EVENT_CHECKING
    pieces = [t for k, t in events if k == EVENT_TEXT]
    assert len(pieces) > 3 and "".join(pieces).strip()  # many pieces: streamed, not one block at the end
    assert not answer.abstained and answer.citations
    # the same question without a listener gives the same answer: streaming changes nothing downstream
    assert assistant.ask(answer.question).text == answer.text
