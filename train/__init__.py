"""Fine-tune CAMeLBERT for Arabic NER and event classification; the map is docs/architecture.md."""
