"""The customer's own data: correct it, take it along (export), have it erased."""
