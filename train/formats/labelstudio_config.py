"""The Label Studio labeling config (XML) for the project's schema, so nobody writes it by hand.

The names are the ones the project's Label Studio reader and writer use: ``label`` for entity
spans, ``event`` for event-trigger spans, both on the ``<Text name="text" value="$text">``; with
``choices``, ``event_type`` holds the task's PLOVER event types (``<Choices>``), which
:func:`train.formats.classification.read_labelstudio` reads as the labels of the whole task: a
document, or one sentence when each task is one sentence. Arabic is shown right to left
by the wrapping ``<View>``'s style (``<Text>`` itself has no direction attribute).
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from train.corpus.schema import Schema

# Distinct, readable backgrounds; labels past the list reuse it in order.
PALETTE = ["#ffb3b3", "#b3d9ff", "#c2f0c2", "#ffe0a3", "#e0c2ff", "#a3e4e0", "#ffc2e0", "#d9d9a3",
           "#c7c7ff", "#f5b58a", "#9fdfbf", "#e6b3cc", "#b8e0ff", "#f0e68c", "#d2b48c", "#bfbfbf"]

TEXT_NAME = "text"
ENTITY_CONTROL = "label"
EVENT_CONTROL = "event"
CHOICES_CONTROL = "event_type"


def _labels(name: str, labels: dict[str, str], offset: int) -> list[str]:
    lines = [f'  <Labels name="{name}" toName="{TEXT_NAME}">']
    for k, (label, hint) in enumerate(labels.items()):
        colour = PALETTE[(offset + k) % len(PALETTE)]
        lines.append(f"    <Label value={quoteattr(label)} background={quoteattr(colour)} hint={quoteattr(hint)}/>")
    lines.append("  </Labels>")
    return lines


def label_config(schema: Schema, *, entities: bool = True, events: bool = True, choices: bool = False,
                 title: str | None = None) -> str:
    """The XML: entity and trigger labels on right-to-left text, and event-type choices if asked."""
    if not (entities or events or choices):
        raise ValueError("the labeling config needs at least one of entities, events or choices")
    lines = ["<View>"]
    if title:
        lines.append(f"  <Header value={quoteattr(title)}/>")
    if entities:
        lines += _labels(ENTITY_CONTROL, schema.entities, 0)
    if events:
        lines += _labels(EVENT_CONTROL, schema.events, len(schema.entities))
    lines.append('  <View style="direction: rtl; text-align: right; font-size: 1.15em; line-height: 1.9">')
    lines.append(f'    <Text name="{TEXT_NAME}" value="$text"/>')
    lines.append("  </View>")
    if choices:
        lines.append(f'  <Choices name="{CHOICES_CONTROL}" toName="{TEXT_NAME}" choice="multiple" showInline="true">')
        lines += [f"    <Choice value={quoteattr(label)} hint={quoteattr(hint)}/>" for label, hint in schema.events.items()]
        lines.append("  </Choices>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"
