"""Word lists the generator draws from: names, job titles, industries, forms, pages.

Central Europe is the target market, so names and titles come in Czech, Slovak, Polish and
German (with diacritics) as well as English; the scoring rules must cope with all of them.
"""
from __future__ import annotations

FIRST_NAMES: dict[str, list[str]] = {
    "cs": ["Jan", "Petr", "Jiří", "Tomáš", "Lukáš", "Martin", "Jakub", "Ondřej", "Eva", "Jana", "Lucie",
           "Tereza", "Kateřina", "Markéta", "Zdeněk", "Radka", "Michaela", "Vojtěch", "Šárka", "Bořek"],
    "sk": ["Ján", "Peter", "Marek", "Juraj", "Ľubomír", "Martina", "Zuzana", "Ľudmila", "Miroslav",
           "Katarína", "Dušan", "Andrea", "Štefan", "Mária", "Ondrej", "Veronika"],
    "pl": ["Piotr", "Krzysztof", "Łukasz", "Paweł", "Michał", "Tomasz", "Agnieszka", "Małgorzata",
           "Katarzyna", "Żaneta", "Wojciech", "Grzegorz", "Joanna", "Ewa", "Bartłomiej", "Zofia"],
    "de": ["Jürgen", "Stefan", "Matthias", "Jörg", "Andreas", "Sabine", "Ursula", "Birgit", "Günther",
           "Lena", "Maximilian", "Sören", "Anja", "Uwe", "Käthe", "Tobias"],
    "en": ["John", "Emma", "Oliver", "Sarah", "James", "Emily", "Michael", "Olivia", "David", "Sophie",
           "Daniel", "Grace", "Thomas", "Chloe", "William", "Megan"],
}

LAST_NAMES: dict[str, list[str]] = {
    "cs": ["Novák", "Svoboda", "Novotný", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák",
           "Němec", "Pokorný", "Marek", "Pospíšil", "Hájek", "Jelínek", "Král", "Růžička", "Beneš"],
    "sk": ["Horváth", "Kováč", "Varga", "Tóth", "Nagy", "Baláž", "Szabó", "Molnár", "Lukáč", "Kráľ",
           "Hudák", "Šimko", "Ďurica", "Polák", "Oravec"],
    "pl": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński", "Lewandowski",
           "Zieliński", "Szymański", "Woźniak", "Dąbrowski", "Kozłowski", "Jankowski", "Mazur"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
           "Hoffmann", "Schäfer", "Koch", "Bauer", "Größ", "Krüger"],
    "en": ["Smith", "Johnson", "Williams", "Brown", "Jones", "Taylor", "Wilson", "Davies", "Evans",
           "Walker", "Wright", "Robinson", "Thompson", "Clarke"],
}

# Country → language of most people there; companies and contacts share a country.
COUNTRY_LANG: dict[str, str] = {"CZ": "cs", "SK": "sk", "PL": "pl", "DE": "de", "AT": "de", "CH": "de",
                                "US": "en", "GB": "en", "IE": "en", "NL": "en", "HU": "en"}
COUNTRY_WEIGHTS: list[tuple[str, int]] = [("CZ", 30), ("SK", 12), ("PL", 18), ("DE", 15), ("AT", 6), ("CH", 2),
                                          ("US", 7), ("GB", 5), ("IE", 1), ("NL", 2), ("HU", 2)]
PHONE_PREFIX: dict[str, str] = {"CZ": "+420", "SK": "+421", "PL": "+48", "DE": "+49", "AT": "+43", "CH": "+41",
                                "US": "+1", "GB": "+44", "IE": "+353", "NL": "+31", "HU": "+36"}
TLD: dict[str, str] = {"CZ": "cz", "SK": "sk", "PL": "pl", "DE": "de", "AT": "at", "CH": "ch", "US": "com",
                       "GB": "co.uk", "IE": "ie", "NL": "nl", "HU": "hu"}

# Industry → fit for the product (a B2B SaaS tool): drives the hidden propensity.
INDUSTRIES: list[tuple[str, float]] = [
    ("software", 0.9), ("saas", 1.0), ("fintech", 0.85), ("manufacturing", 0.55), ("retail", 0.45),
    ("healthcare", 0.4), ("education", 0.2), ("government", 0.15), ("logistics", 0.5), ("energy", 0.45),
    ("telecommunications", 0.6), ("consulting", 0.55), ("media", 0.35), ("automotive", 0.5),
]

COMPANY_STEMS = ["Nova", "Alfa", "Tatra", "Vltava", "Morava", "Baltic", "Wisła", "Dunaj", "Karpaty", "Rhein",
                 "Alpen", "Orbit", "Vector", "Quantum", "Blue", "North", "Granit", "Sokol", "Lipa", "Zenit",
                 "Helix", "Prism", "Atlas", "Cobalt", "Delta", "Echo", "Falcon", "Iskra", "Jaspis", "Krokus"]
COMPANY_SUFFIX: dict[str, list[str]] = {
    "cs": ["s.r.o.", "a.s.", "Group s.r.o."], "sk": ["s.r.o.", "a.s."], "pl": ["Sp. z o.o.", "S.A."],
    "de": ["GmbH", "AG", "GmbH & Co. KG"], "en": ["Ltd", "Inc.", "LLC", "Group"],
}
COMPANY_WORDS: dict[str, list[str]] = {
    "software": ["Soft", "Code", "Systems"], "saas": ["Cloud", "Apps", "Platform"], "fintech": ["Pay", "Finance", "Capital"],
    "manufacturing": ["Strojírny", "Werke", "Fabryka"], "retail": ["Market", "Shop", "Handel"],
    "healthcare": ["Med", "Clinic", "Health"], "education": ["Akademie", "Learning", "Edu"],
    "government": ["Úřad", "Agency", "Urząd"], "logistics": ["Logistik", "Cargo", "Transport"],
    "energy": ["Energie", "Power", "Energia"], "telecommunications": ["Tel", "Net", "Com"],
    "consulting": ["Consulting", "Partners", "Advisory"], "media": ["Media", "Studio", "Press"],
    "automotive": ["Auto", "Motors", "Parts"],
}

# (title, seniority 0..4, authority 0..1); seniority 4 = owner/C-level, 0 = not a buyer.
JOB_TITLES: list[tuple[str, int, float]] = [
    ("CEO", 4, 1.0), ("Founder & CEO", 4, 1.0), ("jednatel", 4, 1.0), ("jednateľ", 4, 1.0), ("prezes zarządu", 4, 1.0),
    ("Geschäftsführer", 4, 1.0), ("CTO", 4, 0.95), ("CFO", 4, 0.9), ("COO", 4, 0.9),
    ("ředitel", 3, 0.85), ("obchodní ředitel", 3, 0.85), ("riaditeľ", 3, 0.85), ("dyrektor handlowy", 3, 0.85),
    ("dyrektor IT", 3, 0.8), ("Vertriebsleiter", 3, 0.8), ("VP Sales", 3, 0.85), ("VP Marketing", 3, 0.8),
    ("Head of Marketing", 3, 0.75), ("Head of Sales", 3, 0.8), ("IT Director", 3, 0.8), ("Director of Operations", 3, 0.7),
    ("Sales Manager", 2, 0.55), ("Marketing Manager", 2, 0.55), ("Product Manager", 2, 0.5), ("vedoucí oddělení", 2, 0.5),
    ("vedúci obchodu", 2, 0.5), ("kierownik działu", 2, 0.5), ("Leiter Einkauf", 2, 0.55), ("Teamleiter", 2, 0.45),
    ("IT Manager", 2, 0.55), ("Procurement Manager", 2, 0.6),
    ("Software Engineer", 1, 0.25), ("Data Analyst", 1, 0.2), ("Business Analyst", 1, 0.25), ("specialista marketingu", 1, 0.2),
    ("obchodník", 1, 0.2), ("programátor", 1, 0.15), ("analityk", 1, 0.2), ("Sachbearbeiter", 1, 0.15),
    ("Consultant", 1, 0.25), ("Account Executive", 1, 0.2),
    ("student", 0, 0.0), ("studentka", 0, 0.0), ("intern", 0, 0.0), ("stážista", 0, 0.0), ("Praktikant", 0, 0.0),
    ("looking for job", 0, 0.0), ("hledám práci", 0, 0.0), ("szukam pracy", 0, 0.0), ("", 1, 0.1),
    # as they occur in CZ/SK/PL/DE/AT CRMs: feminine forms, local abbreviations, mixed case
    ("jednatelka", 4, 1.0), ("majitel", 4, 1.0), ("konateľ", 4, 1.0), ("konateľka", 4, 1.0), ("Prezes Zarządu", 4, 1.0),
    ("właściciel", 4, 1.0), ("Inhaber", 4, 1.0), ("Geschäftsführerin", 4, 1.0), ("GF", 4, 1.0), ("Vorstand", 4, 0.95),
    ("ředitelka", 3, 0.85), ("obchodní ředitelka", 3, 0.85), ("ředitel IT", 3, 0.8), ("obchodný riaditeľ", 3, 0.85),
    ("dyrektor zarządzający", 3, 0.9), ("dyrektor sprzedaży", 3, 0.85), ("Leiter Vertrieb", 3, 0.8),
    ("Leiterin Marketing", 3, 0.75), ("Vertriebsleiterin", 3, 0.8), ("IT-Leiter", 3, 0.8), ("Prokurist", 3, 0.85),
    ("Bereichsleiter", 3, 0.75),
    ("obchodní manažer", 2, 0.55), ("marketingová manažerka", 2, 0.55), ("vedoucí IT", 2, 0.55),
    ("manažér predaja", 2, 0.55), ("kierownik sprzedaży", 2, 0.55), ("menedżer ds. marketingu", 2, 0.55),
    ("Marketingleiter", 2, 0.6), ("Einkaufsleiter", 2, 0.6), ("Abteilungsleiterin", 2, 0.5), ("Key Account Manager", 2, 0.45),
    ("referent", 1, 0.15), ("specjalista ds. sprzedaży", 1, 0.2), ("Referentin", 1, 0.15), ("Mitarbeiter Vertrieb", 1, 0.15),
    ("asistentka", 1, 0.1), ("Werkstudent", 0, 0.0), ("praktykant", 0, 0.0), ("brigádník", 0, 0.0),
]

# free-mail providers people of each country use (the global ones everywhere)
FREE_MAIL_BY_COUNTRY: dict[str, list[str]] = {
    "CZ": ["seznam.cz", "seznam.cz", "email.cz", "centrum.cz", "post.cz", "volny.cz", "atlas.cz", "tiscali.cz"],
    "SK": ["azet.sk", "zoznam.sk", "centrum.sk", "post.sk", "pobox.sk"],
    "PL": ["wp.pl", "onet.pl", "o2.pl", "interia.pl", "gazeta.pl", "op.pl", "poczta.onet.pl", "tlen.pl"],
    "DE": ["gmx.de", "web.de", "t-online.de", "freenet.de", "gmx.net", "posteo.de", "mail.de", "arcor.de"],
    "AT": ["gmx.at", "aon.at", "chello.at", "a1.net", "gmx.net", "utanet.at"],
    "CH": ["bluewin.ch", "gmx.ch", "hispeed.ch"],
}
GLOBAL_FREE_MAIL = ["gmail.com", "gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "protonmail.com"]
FREE_MAIL = sorted({d for ds in FREE_MAIL_BY_COUNTRY.values() for d in ds} | set(GLOBAL_FREE_MAIL))
COMPETITOR_DOMAINS = ["leadforge.io", "scorely.com", "pipepilot.eu", "qualifyhq.com"]

FORM_TYPES: list[tuple[str, float, str]] = [  # (form_type, intent 0..1, form id)
    ("demo_request", 1.0, "f1a0c2d4-0001-4c6e-9a11-000000000001"),
    ("contact_sales", 0.95, "f1a0c2d4-0002-4c6e-9a11-000000000002"),
    ("pricing_inquiry", 0.9, "f1a0c2d4-0003-4c6e-9a11-000000000003"),
    ("case_study_request", 0.6, "f1a0c2d4-0004-4c6e-9a11-000000000004"),
    ("webinar_registration", 0.45, "f1a0c2d4-0005-4c6e-9a11-000000000005"),
    ("event_registration", 0.4, "f1a0c2d4-0006-4c6e-9a11-000000000006"),
    ("ebook_download", 0.3, "f1a0c2d4-0007-4c6e-9a11-000000000007"),
    ("newsletter_signup", 0.1, "f1a0c2d4-0008-4c6e-9a11-000000000008"),
]
UNKNOWN_FORM_TYPES = ["legacy_contact_us", "partner_portal_v2", "FORM-TEST"]
QUALIFYING_FORMS = {"demo_request", "contact_sales", "pricing_inquiry"}
BUDGETS = ["<10k", "10k-50k", "50k-200k", ">200k"]
TIMEFRAMES = ["<3 months", "3-6 months", "6-12 months", ">12 months", "no plans"]
DECISION_ROLES = ["decision maker", "influencer", "evaluator", "end user", "student"]
CHALLENGES = [
    "Our sales team wastes time on unqualified leads",
    "Potřebujeme lépe prioritizovat leady z webu",
    "Chceme napojit HubSpot na datový sklad",
    "Potrebujeme zrýchliť predajný proces",
    "Szukamy narzędzia do scoringu leadów",
    "Wir wollen Marketing und Vertrieb besser abstimmen",
    "Just researching options for a school project",
    "Need better reporting on pipeline",
    "Migrating from spreadsheets",
    "",
]

PAGES: list[tuple[str, str, float]] = [  # (path, title, intent)
    ("/pricing", "Pricing – plans and prices", 0.9),
    ("/pricing/enterprise", "Enterprise plan", 0.95),
    ("/demo", "Book a demo", 1.0),
    ("/case-studies", "Case studies", 0.6),
    ("/case-studies/manufacturing", "Case study: manufacturing", 0.6),
    ("/product", "Product overview", 0.5),
    ("/product/integrations", "Integrations", 0.55),
    ("/docs/getting-started", "Docs: getting started", 0.4),
    ("/docs/api", "API reference", 0.45),
    ("/blog/lead-scoring-101", "Blog: lead scoring 101", 0.15),
    ("/blog/meddic", "Blog: MEDDIC explained", 0.2),
    ("/cs/blog/kvalifikace-leadu", "Blog: kvalifikace leadů", 0.15),
    ("/careers", "Careers – we are hiring", 0.0),
    ("/careers/junior-developer", "Junior developer (Praha)", 0.0),
]
# English path -> (localized path, title) per site language; visitors from CZ/SK/PL/DE/AT mostly
# browse their language's version, so the scoring sees /de/preise as often as /pricing
LOCAL_PAGES: dict[str, dict[str, tuple[str, str]]] = {
    "cs": {"/pricing": ("/cs/cenik", "Ceník – tarify a ceny"), "/pricing/enterprise": ("/cs/cenik/enterprise", "Tarif Enterprise"),
           "/demo": ("/cs/demo", "Objednat ukázku"), "/case-studies": ("/cs/pripadove-studie", "Případové studie"),
           "/case-studies/manufacturing": ("/cs/pripadove-studie/vyroba", "Případová studie: výroba"),
           "/product": ("/cs/produkt", "Přehled produktu"), "/product/integrations": ("/cs/produkt/integrace", "Integrace"),
           "/careers": ("/cs/kariera", "Kariéra – hledáme kolegy")},
    "sk": {"/pricing": ("/sk/cennik", "Cenník – balíky a ceny"), "/demo": ("/sk/demo", "Objednať ukážku"),
           "/case-studies": ("/sk/pripadove-studie", "Prípadové štúdie"), "/product": ("/sk/produkt", "Prehľad produktu"),
           "/careers": ("/sk/kariera", "Kariéra")},
    "pl": {"/pricing": ("/pl/cennik", "Cennik – plany i ceny"), "/pricing/enterprise": ("/pl/cennik/enterprise", "Plan Enterprise"),
           "/demo": ("/pl/demo", "Umów demo"), "/case-studies": ("/pl/studia-przypadkow", "Studia przypadków"),
           "/case-studies/manufacturing": ("/pl/studia-przypadkow/produkcja", "Studium przypadku: produkcja"),
           "/product": ("/pl/produkt", "Przegląd produktu"), "/product/integrations": ("/pl/produkt/integracje", "Integracje"),
           "/careers": ("/pl/kariera", "Kariera")},
    "de": {"/pricing": ("/de/preise", "Preise – Pakete und Preise"), "/pricing/enterprise": ("/de/preise/enterprise", "Enterprise-Paket"),
           "/demo": ("/de/demo-vereinbaren", "Demo vereinbaren"), "/case-studies": ("/de/fallstudien", "Fallstudien"),
           "/case-studies/manufacturing": ("/de/fallstudien/fertigung", "Fallstudie: Fertigung"),
           "/product": ("/de/produkt", "Produktübersicht"), "/product/integrations": ("/de/produkt/integrationen", "Integrationen"),
           "/careers": ("/de/karriere", "Karriere – wir stellen ein")},
}
LOCAL_PAGE_SHARE = 0.65
URL_SUFFIXES = ["", "", "", "", "/", "?utm_source=linkedin&utm_medium=paid", "?utm_source=newsletter&utm_medium=email",
                "?gclid=Cj0KCQjw"]
POST_SALE_PAGES: list[tuple[str, str, float]] = [
    ("/docs/getting-started", "Docs: getting started", 0.4), ("/docs/api", "API reference", 0.45),
    ("/product/integrations", "Integrations", 0.55), ("/blog/meddic", "Blog: MEDDIC explained", 0.2),
]
SITE = "https://www.leadscore-demo.example"

# HubSpot's default call outcomes: connected, and the ways an SDR's call does not connect
CALL_CONNECTED = "f240bbac-87c9-4f6e-bf70-924b57d47db7"
CALL_NOT_CONNECTED = ["73a0d17f-1163-4015-bdd5-ec830791da20",  # no answer
                      "b2cf5968-551e-4856-9783-52b3da59a7d0",  # left voicemail
                      "9d9162e7-6cf3-4944-bf63-4dff82258764",  # busy
                      "a4c4c377-d246-4b32-a13b-75a56a4cd0ff"]  # left live message
CALL_DISPOSITIONS = [CALL_CONNECTED, *CALL_NOT_CONNECTED]
UNKNOWN_DISPOSITION = "00000000-dead-beef-0000-000000000000"
MEETING_OUTCOMES = ["SCHEDULED", "COMPLETED", "RESCHEDULED", "NO_SHOW", "CANCELED"]
MEETING_TITLES = ["Discovery call", "Product demo", "Technical deep dive", "Pricing discussion", "Úvodní schůzka",
                  "Prezentacja produktu", "Produktvorstellung"]
POST_SALE_MEETINGS = ["Kick-off", "Onboarding", "Quarterly business review", "Renewal discussion", "Školení uživatelů"]
EMAIL_SUBJECTS = ["Following up on your demo request", "Pricing proposal", "Re: integration question",
                  "Nabídka", "Oferta cenowa", "Ihre Anfrage", "Re: Angebot", "Re: pilot"]
OUTREACH_SUBJECTS = ["Quick question", "Lead scoring at {company}?", "Krátký dotaz", "Szybkie pytanie", "Kurze Frage",
                     "Following up", "Re: Quick question"]
POST_SALE_SUBJECTS = ["Welcome to Leadscore", "Your onboarding plan", "Invoice", "Faktura", "Re: support ticket",
                      "Renewal"]
NOTE_BODIES = ["Interested, needs budget approval", "Champion identified in IT", "Not a fit – too small",
               "Zájem o pilot", "Klient porównuje z konkurencją", "Follow up next quarter"]
OUTREACH_NOTES = ["No answer, sequence continues", "Left voicemail", "Not interested right now", "Wrong contact, asked for referral",
                  "Nedovolal jsem se", "Connected, wants info by e-mail"]
POST_SALE_NOTES = ["Onboarding done", "Asked about SSO add-on", "Happy with support", "Renewal in Q3"]
LEAD_STATUSES = ["NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                 "BAD_TIMING"]
LIFECYCLE_STAGES = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
                    "evangelist", "other"]

# the default deal pipeline as GET /crm/v3/pipelines/deals returns it: (id, label, probability)
DEAL_STAGES: list[tuple[str, str, str]] = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2"), ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"), ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"), ("closedwon", "Closed Won", "1.0"), ("closedlost", "Closed Lost", "0.0"),
]
DEAL_PRODUCTS = ["Leadscore Pro", "Leadscore Enterprise", "Leadscore Starter", "Pilot"]
# data-centre ranges of mail security gateways that follow every link of a message on delivery
SCANNER_NETS = ["40.94.", "52.100.", "104.47.", "185.58.", "207.211."]

CAMPAIGN_SUBJECTS = ["Monthly product update", "Webinar: scoring leads with data", "Case study: 3x more SQLs",
                     "Novinky v produktu", "Nowości w produkcie", "Neuigkeiten", "Last chance: conference tickets",
                     "Pricing changes", "Guide: MEDDIC in practice"]
UNSUB_REASONS = ["N/A (Unsubscribed by admin)", "I no longer want to receive these emails",
                 "I never signed up for this mailing list", "The emails are inappropriate", "The emails are spam and should be reported", "Other"]

MEDDIC_SAMPLES: dict[str, list[str]] = {
    "meddic_metrics": ["Cut lead response time by 50%", "Zvýšit konverzi MQL→SQL o 20 %", "Save 2 FTE in SDR team"],
    "meddic_economic_buyer": ["CFO signs anything above 50k", "jednatel", "VP Sales owns the budget"],
    "meddic_decision_criteria": ["HubSpot integration, GDPR, price", "Security review + SSO", "Cena a podpora v češtině"],
    "meddic_decision_process": ["Pilot in Q3, then board approval", "Procurement tender", "Two-week trial then signature"],
    "meddic_identified_pain": ["Sales ignores marketing leads", "No visibility into lead quality", "Manual scoring in Excel"],
    "meddic_champion": ["Head of Marketing", "IT manager pushing internally", "Sales ops lead"],
}
