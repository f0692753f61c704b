"""scoring_rules.yml: plain YAML, validated once (in Python) with one line naming a bad rule,
then handed to dbt, which compiles it to SQL."""
from __future__ import annotations

import pytest

from leadscore import warehouse
from leadscore.errors import ConfigError, LeadscoreError
from leadscore.scoring.dbt import run_dbt
from leadscore.scoring.rules import RULES_ENV, default_path, load_rules

from tests.scoring.conftest import fetch, own_database
from tests.scoring.fixtures import AS_OF, Dataset

BAD_OPERATOR = ("{name: industry_software, attribute: industry, operator: in,",
                "{name: industry_software, attribute: industry, operator: foo,")


def _edit(tmp_path, old: str, new: str):
    text = default_path().read_text(encoding="utf-8")
    assert old in text, f"fixture text not found: {old}"
    path = tmp_path / "scoring_rules.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_default_rules_are_valid():
    rules = load_rules()
    assert rules.version.startswith(f"{rules['version']}-")
    assert "bant" in rules["frameworks"] and rules["tiers"]["mql"]["min_fit"] > 0


@pytest.mark.parametrize(("old", "new", "message"), [
    (*BAD_OPERATOR, "scoring_rules.yml: fit rule 'industry_software': unknown operator 'foo'"),
    ("{name: company_size_mid, attribute: employees,", "{name: company_size_mid, attribute: headcount,",
     "scoring_rules.yml: fit rule 'company_size_mid': unknown attribute 'headcount'"),
    ("operator: between, value: [50, 999], points: 20}", "operator: between, value: [50], points: 20}",
     "scoring_rules.yml: fit rule 'company_size_mid': operator 'between' needs [low, high] numbers"),
    ("value: [50, 999], points: 20}", "value: [50, 999], points: lots}",
     "scoring_rules.yml: fit rule 'company_size_mid': points must be a number"),
    ("demo_request:         {points: 40, half_life_days: 30, cap: 60}",
     "demo_request:         {points: 40, half_life_days: -3, cap: 60}",
     "scoring_rules.yml: activity 'demo_request': half_life_days must be a number > 0"),
    ("  page_other:", "  page_weird: {points: 1}\n  page_other:",
     "scoring_rules.yml: activity 'page_weird': unknown activity type"),
    ("bant:   {budget: budget,", "bant:   {budget: wallet,",
     "scoring_rules.yml: framework 'bant' criterion 'budget': unknown signal 'wallet'"),
    ("value: competitor_domains}\n  - {name: competitor_company_domain",
     "value: rivals}\n  - {name: competitor_company_domain",
     "scoring_rules.yml: disqualifier 'competitor_domain': unknown list 'rivals'"),
    ("framework: {name: bant, min_met: 3}", "framework: {name: spiced, min_met: 3}",
     "scoring_rules.yml: tiers.sql.framework: unknown framework 'spiced'"),
    ("    - {activity: [demo_request, contact_sales, pricing_inquiry, crm_meeting], within_days: 90}",
     "    - {activity: [demo_request, webinar_attended], within_days: 90}",
     "scoring_rules.yml: signal 'plans' condition 1: unknown activity type 'webinar_attended'"),
    # a rules file from before the split of calls and emails by direction
    ("  crm_note:             {points: 0}", "  crm_note:             {points: 0}\n  crm_call: {points: 10}",
     "scoring_rules.yml: activity 'crm_call': activity type was split into "
     "crm_call_inbound, crm_call_connected or crm_call_outbound"),
    ("pricing_inquiry, crm_meeting], within_days: 90}", "pricing_inquiry, crm_email], within_days: 90}",
     "scoring_rules.yml: signal 'plans' condition 1: activity type 'crm_email' was split into "
     "crm_email_reply or crm_email_outbound"),
    ("{activity: [page_pricing], within_days: 30, min_count: 2}", "{activity: [page_pricing], within_days: 30, min_count: 0}",
     "scoring_rules.yml: signal 'budget' condition 5: min_count must be a whole number >= 1"),
    ("page_pricing:    [/pricing,", "page_pricing:    [pricing,",
     "scoring_rules.yml: normalisation.page_paths.page_pricing: 'pricing' is not a path prefix "
     "(starts with /, no spaces or quotes)"),
    ("page_product:    [/product,", "page_product:    [/pricing,",
     "scoring_rules.yml: normalisation.page_paths.page_product: path '/pricing' is listed under page_pricing too"),
    ("    page_blog:       [", "    page_news:       [",
     "scoring_rules.yml: normalisation.page_paths.page_news: unknown page type (one of page_pricing, "
     "page_case_study, page_product, page_careers, page_blog, page_docs)"),
    ("scanner_click_seconds: 60", "scanner_click_seconds: soon",
     "scoring_rules.yml: normalisation.scanner_click_seconds: must be a number >= 0 (0 turns scanner detection off)"),
    ("  - {name: email_hard_bounced, activity: [email_hard_bounce],",
     "  - {name: email_hard_bounced, activity: [email_bounce],",
     "scoring_rules.yml: disqualifier 'email_hard_bounced': unknown activity type 'email_bounce'"),
])
def test_invalid_rules_name_the_bad_rule(tmp_path, old, new, message):
    with pytest.raises(ConfigError) as err:
        load_rules(_edit(tmp_path, old, new))
    assert err.value.problem == message


def test_broken_yaml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_rules(_edit(tmp_path, "fit:\n", "fit:\n  - [unclosed\n"))


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read scoring rules"):
        load_rules(tmp_path / "nope.yml")


@pytest.mark.parametrize(("old", "new", "message"), [
    (*BAD_OPERATOR, "scoring_rules.yml: fit rule 'industry_software': unknown operator 'foo'"),
    ("pricing_inquiry, crm_meeting], within_days: 90}", "pricing_inquiry, crm_email], within_days: 90}",
     "scoring_rules.yml: signal 'plans' condition 1: activity type 'crm_email' was split into "
     "crm_email_reply or crm_email_outbound"),
])
def test_a_bad_rule_stops_dbt_with_the_rule_named(project_copy, old, new, message):
    """dbt only ever gets validated rules: run_dbt refuses a bad file with the validator's line."""
    rules_file = project_copy / "scoring_rules.yml"
    rules_file.write_text(rules_file.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        run_dbt(["parse"], project_dir=project_copy)
    assert err.value.problem == message


def test_dbt_run_by_hand_says_which_command_passes_the_rules(scoring_home):
    """`dbt build` in dbt_project/ without leadscore has no rules: one line naming the command."""
    with pytest.raises(LeadscoreError) as err:
        run_dbt(["parse", "--no-partial-parse"], env={RULES_ENV: ""})
    assert ("scoring_rules.yml is not loaded: leadscore validates it and passes it to dbt as "
            "LEADSCORE_SCORING_RULES; run dbt through it, e.g. `.venv/bin/leadscore dbt build`") in str(err.value)


BRACES = "{{ lead }} {% if x %}"


def test_braces_in_comments_and_strings_are_only_text(scoring_home, tmp_path):
    """Jinja's `{{ }}` and `{% %}` in a comment, a description and a value that reaches the SQL
    build and score like any other text."""
    text = default_path().read_text(encoding="utf-8")
    rule = (f"fit:\n  # {BRACES} in a comment\n"
            f'  - {{name: braces_title, attribute: job_title, operator: contains, value: "{BRACES}", points: 7,\n'
            f'     description: "a title with {BRACES} in it"}}\n')
    candidate = tmp_path / "rules.yml"
    candidate.write_text(f"# {BRACES} at the top\n" + text.replace("fit:\n", rule, 1), encoding="utf-8")
    assert load_rules(candidate)["fit"][0]["description"] == f"a title with {BRACES} in it"
    with own_database("ls_braces") as p:
        d = Dataset()
        d.contact("b1", "b1@example.cz", title=f"Head of {BRACES} Ops")
        d.contact("b2", "b2@example.cz", title="Head of Ops")
        with warehouse.connect(p=p) as conn:
            d.land(conn)
        run_dbt(["run"], as_of=AS_OF.isoformat(), rules_file=candidate)
        rows = fetch("""select s.crm_id, f.points, f.detail, s.rules_version from marts.lead_scores as s
                        left join marts.lead_score_factors as f on f.lead_id = s.lead_id and f.factor = 'braces_title'
                        order by 1""")
    assert [(r["crm_id"], r["points"]) for r in rows] == [("b1", 7), ("b2", None)]
    assert BRACES in rows[0]["detail"]
    assert {r["rules_version"] for r in rows} == {load_rules(candidate).version}


def test_rules_version_matches_dbt(scored):
    versions = {r["rules_version"] for r in fetch("select distinct rules_version from marts.lead_scores")}
    assert versions == {load_rules().version}
