"""The medical disclaimer becomes numbered versions that are never rewritten.

The text on the site-settings row becomes version 1 (dated when it was last
saved), unless it is still the default that migration 0001 gave it: then
version 1 is the fuller default written for this migration (dated now). The
disclaimer fields then leave SiteSettings. The texts are written out here,
not imported, so that later changes to the defaults in wiki.models never
change what this migration did. Going back copies the newest version onto
the settings row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

OLD_DEFAULT_TEXT = (
    'The information on this site is for general education only. It is not medical '
    'advice and it is not a substitute for the care of a licensed physician who '
    'knows your history.\n'
    'Always check with your own medical team before you act on anything you read '
    'here, and before you start, stop or change any treatment.\n'
    'We work hard to keep these pages accurate and up to date, but errors and '
    'omissions are possible (E&OE). No sponsor, advertiser or drug maker has any '
    'say in what we write.'
)

OLD_DEFAULT_SHORT_TEXT = (
    'Educational information only, not a substitute for a licensed physician. Check '
    'with your medical team before acting. E&OE. Not influenced by sponsors.'
)

NEW_DEFAULT_TEXT = (
    'The information on this site is general information for education only. It is '
    'not medical advice, and it is not a substitute for the care of a licensed '
    'physician: a doctor who knows you and your medical history.\n'
    'If you think you may be ill, see a doctor. Never ignore a symptom, and never '
    'put off getting help because of something you have read here.\n'
    'It helps to keep notes of your symptoms: what you noticed, the date and time '
    'it started, how long it lasted, and anything that made it better or worse. '
    'Take these notes with you when you see your doctor.\n'
    'The articles on this site, the links on its pages and the sites they lead to '
    'are not medical advice either. Other sites are written by other people, and we '
    'do not control what they say.\n'
    'Always check with your own medical team before you act on anything you read '
    'here, and before you start, stop or change any treatment.\n'
    'No sponsor, advertiser or drug maker has any say in what we write, and none '
    'can pay to change it.\n'
    'E&OE stands for “errors and omissions excepted”. We work hard to keep every '
    'page correct and up to date, but medicine changes and people make mistakes: a '
    'page may be wrong, out of date, or leave out something that matters to you. '
    'That is one more reason to talk to your medical team.'
)

NEW_DEFAULT_SHORT_TEXT = (
    'Educational information only, not medical advice and not a substitute for a '
    'licensed physician. See a doctor about any symptom, and check with your '
    'medical team before acting. Not influenced by sponsors. E&OE.'
)


def _paragraphs(text):
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def copy_disclaimer_to_version_1(apps, schema_editor):
    SiteSettings = apps.get_model("wiki", "SiteSettings")
    DisclaimerVersion = apps.get_model("wiki", "DisclaimerVersion")
    if DisclaimerVersion.objects.exists():
        return
    row = SiteSettings.objects.order_by("pk").first()
    text = _paragraphs(row.disclaimer if row else "")
    short_text = " ".join((row.disclaimer_short if row else "").split())
    is_custom = bool(text) and text != _paragraphs(OLD_DEFAULT_TEXT)
    if not is_custom:
        text = NEW_DEFAULT_TEXT
    if not short_text or (not is_custom and short_text == OLD_DEFAULT_SHORT_TEXT):
        short_text = NEW_DEFAULT_SHORT_TEXT
    DisclaimerVersion.objects.create(
        number=1,
        text=text,
        short_text=short_text[:300],
        created_at=row.updated_at if row and is_custom else timezone.now(),
    )


def copy_newest_version_to_settings(apps, schema_editor):
    SiteSettings = apps.get_model("wiki", "SiteSettings")
    DisclaimerVersion = apps.get_model("wiki", "DisclaimerVersion")
    newest = DisclaimerVersion.objects.order_by("-number").first()
    if newest is not None:
        SiteSettings.objects.update(disclaimer=newest.text, disclaimer_short=newest.short_text)


class Migration(migrations.Migration):
    dependencies = [
        ("wiki", "0006_page_reviews"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DisclaimerVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField(editable=False, unique=True)),
                ("text", models.TextField(help_text="Shown in full at the foot of every page and at /disclaimer/. One paragraph per line.")),
                ("short_text", models.CharField(help_text="One line, printed at the foot of every PDF sheet.", max_length=300, verbose_name="short form")),
                ("created_at", models.DateTimeField(editable=False)),
                ("created_by", models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "disclaimer version",
                "ordering": ["-number"],
            },
        ),
        migrations.RunPython(copy_disclaimer_to_version_1, copy_newest_version_to_settings),
        migrations.RemoveField(model_name="sitesettings", name="disclaimer"),
        migrations.RemoveField(model_name="sitesettings", name="disclaimer_short"),
    ]
