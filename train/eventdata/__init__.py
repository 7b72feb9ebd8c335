"""Event data from prediction records: who did what to whom, when and where, across documents.

Inference-side (it reads records and the corpus model; it never imports training):

- :mod:`.arabic`     normalised forms and proclitics, for matching names
- :mod:`.countries`  Arabic country names (CLDR via babel, ISO 3166 via pycountry) and nationality adjectives
- :mod:`.dictionary` the user's actor dictionary (``configs/actors.yaml``)
- :mod:`.actors`     mentions grouped into actors in a document; ids and canonical names across documents
- :mod:`.dates`      publication date, and each event's date with its precision
- :mod:`.places`     each event's location
- :mod:`.table`      one row per event report, from a prediction record or an annotated document
- :mod:`.merge`      reports of the same event share one id (external sort: bounded memory)
- :mod:`.report`     the self-contained HTML report (plotly, inlined)

"""
