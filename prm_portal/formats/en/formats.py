"""English dates the same way on every page, and never ambiguous to a European reader: "Jan. 30, 2027" rather than
"01/30/2027" (Django's SHORT_DATE_FORMAT for English), which a Czech, Spanish or Polish eye reads day first. The other
languages keep Django's own formats ("30.01.2027", "30/01/2027", "30.01.2027")."""

SHORT_DATE_FORMAT = "N j, Y"
SHORT_DATETIME_FORMAT = "N j, Y, P"
