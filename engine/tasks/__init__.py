"""Human tasks: assignment, the inbox, completion, forms."""
