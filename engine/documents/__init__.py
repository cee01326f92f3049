"""The pupil file kept at the pôle (§8): annex PDFs frozen from the facts, attachments, the
completeness checklist and the export for inspection. Files live behind `storage.Storage`."""
