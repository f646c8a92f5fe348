"""The per-phone lock row of code requests (race-free hourly cap)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('voting', '0012_move_entry_files_to_private'),
    ]

    operations = [
        migrations.CreateModel(
            name='SignInPhone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('phone', models.CharField(max_length=20, unique=True, verbose_name='phone (E.164)')),
                ('last_code_at', models.DateTimeField(verbose_name='last code at')),
            ],
            options={
                'verbose_name': 'sign-in phone',
                'verbose_name_plural': 'sign-in phones',
            },
        ),
    ]
