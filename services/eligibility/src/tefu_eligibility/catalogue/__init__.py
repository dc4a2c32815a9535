"""The policy catalogue: rule files, their schema, the condition language, layering by region."""
