"""Process definitions: loading, validating, versioning; the script environment; the serializer."""
