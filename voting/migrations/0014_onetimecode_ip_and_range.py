"""Who asked for a code (IP, number range), for the SMS-pumping signals."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('voting', '0013_signinphone'),
    ]

    operations = [
        migrations.AddField(
            model_name='onetimecode',
            name='ip',
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name='requested from'),
        ),
        migrations.AddField(
            model_name='onetimecode',
            name='phone_prefix',
            field=models.CharField(blank=True, default='', max_length=20, verbose_name='number range'),
        ),
        migrations.AddIndex(
            model_name='onetimecode',
            index=models.Index(fields=['ip', 'created_at'], name='otp_ip_recent_idx'),
        ),
        migrations.AddIndex(
            model_name='onetimecode',
            index=models.Index(fields=['phone_prefix', 'created_at'], name='otp_prefix_recent_idx'),
        ),
    ]
