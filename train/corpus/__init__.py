"""The document model: documents, character-offset spans, validation, schema, text and sentences."""
