import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
        ("wiki", "0003_search"),
    ]

    operations = [
        migrations.CreateModel(
            name='PageViewBatch',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('flushed_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.CreateModel(
            name='PageFeedback',
            fields=[
            ],
            options={
                'verbose_name': 'page feedback',
                'verbose_name_plural': 'page feedback',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('wiki.page',),
        ),
        migrations.CreateModel(
            name='PageViewDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('country', models.CharField(blank=True, default='', max_length=2)),
                ('views', models.PositiveBigIntegerField(default=0)),
                ('page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='view_days', to='wiki.page')),
            ],
            options={
                'indexes': [models.Index(fields=['day'], name='wiki_pageviewday_day')],
                'constraints': [models.UniqueConstraint(fields=('page', 'day', 'country'), name='wiki_pageviewday_unique')],
            },
        ),
        migrations.CreateModel(
            name='Vote',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_useful', models.BooleanField()),
                ('voter_key', models.CharField(max_length=80)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='votes', to='wiki.page')),
                ('revision', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='reversion.revision')),
            ],
            options={
                'indexes': [models.Index(fields=['page', 'updated_at'], name='wiki_vote_page_updated')],
                'constraints': [models.UniqueConstraint(fields=('page', 'voter_key'), name='wiki_vote_one_per_reader')],
            },
        ),
    ]
