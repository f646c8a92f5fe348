"""Database functions the ORM lacks, written once per backend we run on."""

from django.db.models import DateField, Func


class AddDays(Func):
    """``date + n days`` as a date on SQLite and PostgreSQL.

    Django's ``F("day") + timedelta(days=n)`` turns a date into a datetime on SQLite, which
    then never equals a date column; retention joins need a plain date.
    """

    output_field = DateField()

    def __init__(self, expression, days: int, **extra):
        self.days = int(days)
        super().__init__(expression, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, '{self.days:+d} days')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(({sql})::date + {self.days:d})", params
