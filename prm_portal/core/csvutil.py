"""CSV exports that a spreadsheet opens safely."""


def csv_cell(value):
    """A CSV cell a spreadsheet will not run as a formula (names typed by users can start with = + - @)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_row(values):
    return [csv_cell(v) for v in values]
