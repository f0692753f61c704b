{#- on-run-start: make every source relation exist (empty) so dbt runs on a fresh warehouse
    before all extractors have run. Same DDL as leadscore.sources.raw_store / warehouse. -#}
{% macro ensure_raw_sources() %}
    {% set streams = ['hubspot_contacts', 'hubspot_companies', 'hubspot_deals', 'hubspot_deal_pipelines',
                      'hubspot_calls', 'hubspot_meetings',
                      'hubspot_emails', 'hubspot_notes', 'hubspot_form_submissions', 'hubspot_page_views',
                      'mailchimp_members', 'mailchimp_campaigns', 'mailchimp_email_activity',
                      'mailchimp_unsubscribes'] %}
    create schema if not exists raw;
    create schema if not exists quality;
    {% for s in streams %}
    create table if not exists raw.{{ s }} (
        id text primary key,
        record jsonb not null,
        source_updated_at timestamptz,
        is_deleted boolean not null default false,
        _extracted_at timestamptz not null default now(),
        _run_id text not null
    );
    create index if not exists {{ s }}_extracted_at on raw.{{ s }} (_extracted_at);
    {% endfor %}
    create table if not exists quality.quarantined_records (
        stream text not null, record_id text not null, expectation text not null,
        reason text not null, run_id text not null, primary key (stream, record_id, expectation)
    );
    create table if not exists quality.normalised_values (
        stream text not null, record_id text not null, field text not null, value text,
        primary key (stream, record_id, field)
    );
{% endmacro %}
