"""Klantstuur: a service platform in which the customer steers."""
