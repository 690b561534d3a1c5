from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATOR_PERMISSIONS = ["add_page", "change_page", "view_page", "move_page", "revert_page"]


def create_moderators(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so the
    # group can hold them on a fresh database.
    app_config = apps.get_app_config("wiki")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="wiki", codename__in=MODERATOR_PERMISSIONS
        )
    )


def create_site_settings(apps, schema_editor):
    SiteSettings = apps.get_model("wiki", "SiteSettings")
    if not SiteSettings.objects.exists():
        SiteSettings.objects.create()


class Migration(migrations.Migration):
    dependencies = [
        ("wiki", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_moderators, migrations.RunPython.noop),
        migrations.RunPython(create_site_settings, migrations.RunPython.noop),
    ]
