"""The demo pages, in our own words. Loaded by ``manage.py loaddemo``."""

import datetime

DEMO_AUTHOR = "KCR Wiki editors"

MAIN_PAGE = """\
Welcome to **KCR Wiki**, the **Kidney Cancer Resource**: plain-language
information about kidney cancer and its treatment, written for patients and
the people who care for them.

Each page explains one treatment, side effect, test or part of daily life with
kidney cancer. Pages are written and checked by our moderators, and every
change is kept so you can see how a page has grown. These pages cannot replace
your own medical team, but they can help you decide what to ask them.

## Treatments

- [[Interleukin-2]] (Proleukin): an immune therapy that has helped a small
  group of patients stay well for many years. It is given as
  [[High Dose Interleukin-2]] or [[Low Dose Interleukin-2]].
- [[IL-21]]: a related immune messenger that has been studied in trials.
- [[Sunitinib]], [[Sorafenib]] and [[Pazopanib]]: tablets or capsules that
  block the signals a cancer uses to grow new blood vessels.
- [[Temsirolimus]] and [[Everolimus]]: medicines that block a protein called
  mTOR, which helps cancer cells grow.

## Side effects

- [[Capillary Leak Syndrome]]: fluid leaking out of small blood vessels,
  mostly with high-dose Interleukin-2.
- [[Flu-like Symptoms]]: fever, chills and aches during immune therapy.
- [[Hand-Foot Skin Reaction]]: sore, thick or peeling skin on the hands and
  feet with some tablet treatments.

## Tests

- [[CT Scan]]: the scan most often used to find kidney cancer and to see
  whether treatment is working.
- [[Blood Tests]]: what the usual blood tests check before and during
  treatment.

## Living with cancer

- [[Fatigue]]: tiredness that rest does not fix, and what can help.
- [[Eating Well]]: food and drink during and after treatment.
- [[Getting Support]]: people and services who can help you and your family.

If you are new to a diagnosis, bring your questions to your medical team.
"""

INTERLEUKIN_2 = """\
Interleukin-2 (IL-2) is a messenger protein that the body's own immune cells
use to tell other immune cells to grow and attack. The medicine is a
*recombinant* form of IL-2, made in bacteria in a laboratory. Its generic name
is **aldesleukin** and it is sold under the trade name **Proleukin**.

## What it is approved for

The US Food and Drug Administration (FDA) approved aldesleukin for adults with
two cancers that have spread:

- metastatic kidney cancer (metastatic renal cell carcinoma), and
- metastatic melanoma.

## What the studies found

Only a minority of patients respond, but some responses last for many years.
That is why many kidney cancer specialists still discuss it with patients who
are fit enough to receive it.

| Cancer | Patients studied | Overall response | Complete response | Partial response | Median length of complete response |
|---|---|---|---|---|---|
| Metastatic renal cell carcinoma | 255 | 15% | 7% | 8% | 6.7+ years (range 7 months to 10+ years) |
| Metastatic melanoma | 270 | 16% | 6% | 10% | 4.9 years (range 3 months to 10+ years) |

A *complete response* means that scans no longer show any cancer. A *partial
response* means the cancer shrank by at least half.

## How it is given

Most experience comes from giving it in high doses in hospital; see
[[High Dose Interleukin-2]]. Lower-dose schedules have also been tried; see
[[Low Dose Interleukin-2]].

## Side effects

High-dose treatment affects the whole body. Common effects include fever and
chills, low blood pressure, fluid build-up, tiredness, nausea and changes in
kidney and liver tests. Most of them go away within days of the last dose, and
the team watches for them closely.

## Questions to ask your team

1. Am I fit enough for high-dose treatment?
2. Which hospital near me has experience giving it?
3. How would it fit with other treatments I might have?
"""

HIGH_DOSE = """\
High-dose [[Interleukin-2]] is given as a short infusion into a vein every
eight hours, for up to about five days, in a hospital ward used to its side
effects. A course is usually two such cycles about two weeks apart.

Because the side effects can be strong, it is offered to people whose heart,
lungs and kidneys work well. Nearly all of the long-lasting responses reported
for Interleukin-2 come from this way of giving it.
"""

LOW_DOSE = """\
Low-dose [[Interleukin-2]] uses smaller doses, sometimes injected under the
skin at home or in clinic. It is easier to tolerate than the
[[High Dose Interleukin-2|high-dose treatment]], but in the trials that compared
the two, fewer patients had responses that lasted.

Ask your team whether a low-dose schedule makes sense for you, and why.
"""

IL_21 = """\
Interleukin-21 (IL-21) is another immune messenger, related to
[[Interleukin-2]]. It helps a type of white blood cell called a natural killer
cell, and some T cells, grow and work.

Recombinant IL-21 was tested in early clinical trials in people with
metastatic kidney cancer and melanoma. It is not an approved treatment. If you
are interested in a trial, ask your medical team what is open near you.
"""

CAPILLARY_LEAK = """\
Capillary leak syndrome is the best known side effect of
[[High Dose Interleukin-2]]. Capillaries are the smallest blood vessels. During
treatment their walls let fluid seep out of the blood into the tissues around
them.

## What you may notice

- swelling of the hands, feet, face or the whole body, and weight gain from the
  extra fluid;
- feeling dizzy or faint, because the blood pressure falls;
- passing less urine than usual;
- feeling short of breath, if fluid collects in or around the lungs.

## How the team manages it

This is why high-dose treatment is given on a ward whose staff know it well.
The nurses check your blood pressure, weight, breathing and urine often. They
may give fluids into a vein, medicines that raise the blood pressure, or oxygen,
and they may leave out a dose or stop the course early.

The leak usually settles within a few days of the last dose, and the extra
fluid then leaves the body as urine. Tell the nurses straight away if you feel
breathless, faint or confused.
"""

FLU_LIKE = """\
Many people have flu-like symptoms while they receive immune therapies such as
[[Interleukin-2]]. The medicine switches the immune system on, and the
body reacts much as it does to an infection.

## What it feels like

Fever, shivering or chills (sometimes called rigors), headache, aching muscles
and joints, and tiredness. They often start a few hours after a dose and ease
between doses or once treatment stops.

## What helps

- Your team may give you medicines before each dose to lower a fever and
  prevent sickness.
- Drink plenty, unless you have been told to limit fluids.
- Rest, and keep a blanket to hand for the chills.

A fever can also be a sign of an infection. During treatment, and for some
time after it, call the number your team gave you if your temperature is high
or you feel suddenly unwell.
"""

HAND_FOOT = """\
Hand-foot skin reaction is a common side effect of tablets such as
[[Sunitinib]], [[Sorafenib]] and [[Pazopanib]]. The palms of the hands and the
soles of the feet become red, tender, thick or blistered, mostly where they
take pressure or rub. It usually starts within the first weeks of treatment.

## Looking after your skin

- Use a thick, unperfumed moisturiser on your hands and feet every day.
- Wear soft, well-fitting shoes and cotton socks, and avoid long walks or
  tight gripping for a while.
- Keep hands and feet out of very hot water.
- Ask about a chiropodist (podiatrist) for hard skin before you start.

Tell your team early if your hands or feet hurt: a short break or a lower dose
usually lets the skin heal while you stay on treatment.
"""

CT_SCAN = """\
A CT (computed tomography) scan uses X-rays and a computer to make detailed
pictures of the inside of the body, slice by slice. It is the scan most often
used to find kidney cancer, to see whether it has spread, and to check how it
responds to treatments such as [[Sunitinib]] or [[Interleukin-2]].

## Having the scan

You lie on a narrow bed that moves slowly through a large ring. The scan itself
takes only a few minutes, and it does not hurt. You may be given a dye
(contrast) into a vein, which can make you feel warm for a moment or feel as if
you need to pass urine.

Tell the radiographer before the scan if you have had a reaction to contrast
dye, if you have diabetes or kidney problems, or if you might be pregnant. The
dye leaves the body in your urine, so your team may check your
[[Blood Tests|kidney blood tests]] first.

## Getting the results

A radiologist (a doctor who reads scans) writes a report for your team. It
often takes a few days to a couple of weeks before you hear the results, at
your next clinic appointment.
"""

BLOOD_TESTS = """\
Blood tests help your team check that it is safe to start or continue a
treatment, and how your body is coping with it. The usual ones are:

| Test | What it looks at | Why it matters |
|---|---|---|
| Full blood count | Red cells, white cells and platelets | Low red cells cause tiredness; low white cells raise the risk of infection; low platelets cause bruising |
| Kidney function (creatinine, eGFR) | How well the kidneys filter the blood | Important after kidney surgery and before a [[CT Scan]] with dye |
| Liver function | Enzymes and proteins made by the liver | Some tablets, such as [[Pazopanib]], can affect the liver |
| Blood sugar and cholesterol | Sugar and fats in the blood | Can rise with [[Temsirolimus]] and [[Everolimus]] |
| Thyroid function | The thyroid hormone and the signal that controls it | An underactive thyroid is common with [[Sunitinib]] |

Results are compared with a normal range; one result a little outside it is
often nothing to worry about. Ask your team to explain any result you are
unsure of.
"""

FATIGUE = """\
Fatigue is tiredness that does not go away with rest or sleep. It is one of the
most common effects of kidney cancer and of its treatments, including
[[Interleukin-2]], [[Sunitinib]] and [[Everolimus]]. It can make it hard to
work, look after a family or concentrate.

## What can help

- Plan your day, and do the most important things when you have the most
  energy.
- Short walks or gentle exercise most days often help more than resting all
  day.
- [[Eating Well|Eat well]] and drink enough.
- Say yes when people offer help.

Tell your team about fatigue: it can have causes they can treat, such as a low
red blood cell count, an underactive thyroid or poor sleep, which
[[Blood Tests]] can show.
"""

EATING_WELL = """\
Eating well helps you cope with treatment and recover from it. There is no
special diet that cures kidney cancer, but some advice helps many people.

- Eat small meals and snacks often if your appetite is poor, and choose foods
  you enjoy.
- Include protein (meat, fish, eggs, beans, dairy) to keep up your strength.
- Drink enough, especially if you have diarrhoea or a fever.
- If you have had a kidney removed or your kidneys work less well, ask before
  taking supplements or cutting down on fluids, salt or protein.
- Grapefruit and grapefruit juice can change the level of some tablets, such
  as [[Sunitinib]] and [[Everolimus]], in the blood: ask your pharmacist.

If you are losing weight without trying, or eating is hard because of a sore
mouth or sickness, ask to see a dietitian. See also [[Fatigue]].
"""

SUPPORT = """\
A diagnosis of kidney cancer affects the whole family. Help is there for
practical matters and for feelings.

- **Your clinical nurse specialist** (key worker) is often the best first
  contact between appointments.
- **Your family doctor** can help with symptoms, sleep, low mood and
  arranging care at home.
- **Patient groups and charities** run help lines, online forums and local
  groups where you can talk with people who have been through treatment.
- **Counsellors and psychologists** can help with fear, worry and low mood;
  ask your team how to be referred.
- **Benefits and work advisers** can help with money, travel costs and time
  off work.

Carers need support too. Asking for help is not a sign of failing. See also
[[Fatigue]] and [[Eating Well]].
"""

# Short pages on side effects, tests and life with cancer, so that each
# section of the main page leads somewhere.
GUIDE_PAGES = [
    ("Capillary Leak Syndrome", CAPILLARY_LEAK),
    ("Flu-like Symptoms", FLU_LIKE),
    ("Hand-Foot Skin Reaction", HAND_FOOT),
    ("CT Scan", CT_SCAN),
    ("Blood Tests", BLOOD_TESTS),
    ("Fatigue", FATIGUE),
    ("Eating Well", EATING_WELL),
    ("Getting Support", SUPPORT),
]


# Titles and bodies, in the order they are loaded.
PAGES = [
    ("Main Page", MAIN_PAGE),
    ("Interleukin-2", INTERLEUKIN_2),
    ("High Dose Interleukin-2", HIGH_DOSE),
    ("Low Dose Interleukin-2", LOW_DOSE),
    ("IL-21", IL_21),
    ("Proleukin", "#REDIRECT [[Interleukin-2]]\n"),
    ("Aldesleukin", "#REDIRECT [[Interleukin-2]]\n"),
    ("IL-2", "#REDIRECT [[Interleukin-2]]\n"),
    *GUIDE_PAGES,
]

# Cross-links by page title (kind, target, optional note date), shown near the
# top of the page.
CROSSLINKS = {
    "Interleukin-2": [
        {"kind": "related", "target_title": "High Dose Interleukin-2"},
        {"kind": "related", "target_title": "Low Dose Interleukin-2"},
        {"kind": "see", "target_title": "IL-21", "note_date": datetime.date(2007, 10, 23)},
    ],
}

SUNITINIB = """\
Sunitinib (trade name **Sutent**) is a capsule taken by mouth. It blocks
several signals that kidney cancers use to grow new blood vessels, so it is
called a *targeted therapy*. The US FDA approved it for advanced kidney cancer
in 2006.

In the main trial, people with advanced kidney cancer who had not been treated
before went longer without their cancer growing on sunitinib (about 11 months)
than on interferon alfa (about 5 months).

It is usually taken once a day for four weeks, followed by two weeks off.
Common side effects are tiredness, diarrhoea, sore mouth, high blood pressure
and sore, peeling skin on the hands and feet. Your team will check your blood
pressure and thyroid tests while you take it.
"""

TEMSIROLIMUS = """\
Temsirolimus (trade name **Torisel**) is given as a drip into a vein once a
week. It blocks a protein called mTOR that helps cancer cells grow and divide.
The US FDA approved it for advanced kidney cancer in May 2007.

In its main trial, people with advanced kidney cancer and several signs of a
poor outlook lived longer on temsirolimus (about 11 months) than on interferon
alfa (about 7 months).

Side effects include rash, tiredness, mouth sores, swelling, and higher blood
sugar and cholesterol. Rarely it inflames the lungs: tell your team at once if
you become short of breath or start to cough.
"""

SORAFENIB = """\
Sorafenib (trade name **Nexavar**) is a tablet taken twice a day. Like
[[Sunitinib]], it is a targeted therapy that blocks signals cancers use to grow
blood vessels. The US FDA approved it for advanced kidney cancer in December
2005.

In its main trial, in people whose cancer had grown after earlier treatment,
sorafenib about doubled the time before the cancer grew again compared with a
dummy pill (about 5.5 months against 2.8 months).

The most common side effects are diarrhoea, rash, tiredness, hair thinning,
high blood pressure and sore skin on the hands and feet.
"""

EVEROLIMUS = """\
Everolimus (trade name **Afinitor**) is a tablet taken once a day. Like
[[Temsirolimus]], it blocks the mTOR protein. In March 2009 the US FDA approved
it for advanced kidney cancer that has grown despite [[Sunitinib]] or
[[Sorafenib]].

In its main trial, people on everolimus went about twice as long before their
cancer grew again as people on a dummy pill (about 4.9 months against 1.9
months).

Side effects include mouth sores, infections, tiredness, rash and changes in
blood tests. It can inflame the lungs, so report any new cough or
breathlessness.
"""

PAZOPANIB = """\
Pazopanib (trade name **Votrient**) is a tablet taken once a day on an empty
stomach. It is a targeted therapy that blocks blood-vessel growth signals, like
[[Sunitinib]]. The US FDA approved it for advanced kidney cancer in October
2009.

In its main trial, people on pazopanib went longer before their cancer grew
again than people on a dummy pill (about 9.2 months against 4.2 months).

Common side effects are diarrhoea, high blood pressure, changes in hair colour,
nausea and tiredness. It can affect the liver, so your team will check liver
blood tests regularly.
"""

# Dated articles (new pages), loaded after PAGES.
ARTICLE_PAGES = [
    ("Sunitinib", SUNITINIB),
    ("Temsirolimus", TEMSIROLIMUS),
    ("Sorafenib", SORAFENIB),
    ("Everolimus", EVEROLIMUS),
    ("Pazopanib", PAZOPANIB),
]

# Article metadata by title: the article date and the original source.
ARTICLE_METADATA = {
    "Interleukin-2": {
        "article_date": datetime.date(2009, 5, 14),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/aldesleukin",
        "source_name": "National Cancer Institute: Aldesleukin",
    },
    "Sunitinib": {
        "article_date": datetime.date(2007, 2, 12),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/sunitinibmalate",
        "source_name": "National Cancer Institute: Sunitinib Malate",
    },
    "Temsirolimus": {
        "article_date": datetime.date(2007, 6, 4),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/temsirolimus",
        "source_name": "National Cancer Institute: Temsirolimus",
    },
    "Sorafenib": {
        "article_date": datetime.date(2008, 3, 10),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/sorafenibtosylate",
        "source_name": "National Cancer Institute: Sorafenib Tosylate",
    },
    "Everolimus": {
        "article_date": datetime.date(2009, 4, 6),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/everolimus",
        "source_name": "National Cancer Institute: Everolimus",
    },
    "Pazopanib": {
        "article_date": datetime.date(2010, 1, 18),
        "source_url": "https://www.cancer.gov/about-cancer/treatment/drugs/pazopanibhydrochloride",
        "source_name": "National Cancer Institute: Pazopanib Hydrochloride",
    },
}


# Clinical reviews of the demo pages, as (title, reviewer, years ago the
# review was, years from then until the next is due). Sunitinib's review is
# overdue; Temsirolimus is edited after its review (DEMO_EDITS_AFTER_REVIEW);
# the others are current. Dates are counted back from the day of loading, so
# the demo shows the same states whenever it is loaded.
DEMO_REVIEWS = [
    ("Interleukin-2", "Dr A. Patel, consultant medical oncologist", 0.5, 3),
    ("High Dose Interleukin-2", "Dr A. Patel, consultant medical oncologist", 0.5, 3),
    ("Low Dose Interleukin-2", "Dr A. Patel, consultant medical oncologist", 0.5, 3),
    ("IL-21", "Dr M. Okafor, clinical research fellow", 1, 3),
    ("Sunitinib", "Dr M. Okafor, clinical research fellow", 4, 3),
    ("Temsirolimus", "S. Lindqvist, oncology clinical nurse specialist", 1, 3),
    ("Sorafenib", "S. Lindqvist, oncology clinical nurse specialist", 1, 3),
    ("Everolimus", "Dr A. Patel, consultant medical oncologist", 1, 3),
    ("Pazopanib", "Dr A. Patel, consultant medical oncologist", 1, 3),
]
DEMO_EDITS_AFTER_REVIEW = {
    "Temsirolimus": (
        "\nIf you have diabetes, your team may check your blood sugar more often "
        "while you take it.\n",
        "Add a note on blood sugar checks",
    ),
}


# The glossary: (term, synonyms, definition), the words the demo pages use,
# explained for a patient meeting them for the first time.
GLOSSARY = [
    (
        "KCR",
        ["Kidney Cancer Resource"],
        "Short for Kidney Cancer Resource, the name of this site: plain-language "
        "information about kidney cancer and its treatments, for patients and the people "
        "who care for them.",
    ),
    (
        "Metastatic",
        ["metastasis", "metastases"],
        "Describes a cancer that has spread from where it started to other parts of the "
        "body, such as the lungs, bones or liver. The new growths are called metastases.",
    ),
    (
        "Renal cell carcinoma",
        ["RCC"],
        "The most common kind of kidney cancer in adults. It starts in the lining of the "
        "small tubes in the kidney that filter the blood and make urine.",
    ),
    (
        "mRCC",
        ["metastatic renal cell carcinoma", "metastatic kidney cancer"],
        "Kidney cancer (renal cell carcinoma) that has spread beyond the kidney to other "
        "parts of the body. Treatment then aims to control the cancer across the whole body.",
    ),
    (
        "Recombinant",
        [],
        "Made in a laboratory by putting a human gene into cells such as bacteria, which "
        "then produce the human protein. Recombinant medicines copy proteins the body makes.",
    ),
    (
        "Interleukin",
        ["interleukins"],
        "A family of messenger proteins that immune cells use to signal to each other. "
        "Some are made as medicines to push the immune system to attack a cancer.",
    ),
    (
        "Immunotherapy",
        ["immune therapy", "immune therapies"],
        "Treatment that helps your own immune system find and attack cancer cells, rather "
        "than attacking the cancer directly.",
    ),
    (
        "mTOR",
        [],
        "A protein inside cells that acts like a switch for growth and division. Some "
        "kidney cancer medicines work by blocking it, which can slow the cancer down.",
    ),
    (
        "Targeted therapy",
        ["targeted therapies", "targeted treatment"],
        "A medicine that blocks a particular signal or protein a cancer needs to grow, such "
        "as the signals it uses to grow new blood vessels.",
    ),
    (
        "Tyrosine kinase inhibitor",
        ["TKI", "TKIs"],
        "A kind of targeted therapy taken as a tablet or capsule. It blocks proteins called "
        "tyrosine kinases that pass on growth signals; sunitinib is one example.",
    ),
    (
        "Clinical trial",
        ["clinical trials", "trial", "trials"],
        "A carefully planned study in people that tests whether a treatment works and how "
        "safe it is, often by comparing it with the usual treatment.",
    ),
    (
        "FDA",
        ["Food and Drug Administration"],
        "The United States government agency that decides which medicines may be sold "
        "there, after checking the evidence that they work and are safe enough.",
    ),
    (
        "Complete response",
        [],
        "When scans and tests no longer show any sign of the cancer after treatment. It "
        "does not always mean the cancer is gone for good.",
    ),
    (
        "Partial response",
        [],
        "When a cancer shrinks by at least a set amount (often about a third to a half) "
        "after treatment, but does not disappear.",
    ),
    (
        "Side effect",
        ["side effects"],
        "An unwanted effect of a treatment, such as tiredness or sickness. Tell your team "
        "about any you notice: many can be eased.",
    ),
    (
        "Melanoma",
        [],
        "A cancer that starts in the cells that give skin its colour. It is not a kidney "
        "cancer, but some of the same immune treatments are used for both.",
    ),
    (
        "Interferon alfa",
        ["interferon"],
        "A messenger protein of the immune system, once a standard kidney cancer treatment. "
        "Newer medicines were often tested against it in trials.",
    ),
    (
        "Placebo",
        ["dummy pill"],
        "A dummy treatment with no active medicine, used in some trials so that the real "
        "treatment can be compared fairly.",
    ),
    (
        "Nephrectomy",
        [],
        "An operation to remove a kidney, all of it (radical nephrectomy) or only the part "
        "holding the cancer (partial nephrectomy).",
    ),
    (
        "Infusion",
        ["drip"],
        "A medicine given slowly into a vein through a thin tube, often over minutes or "
        "hours, in a clinic or hospital.",
    ),
]


def load_demo_glossary() -> list[str]:
    """Create every demo glossary entry none of whose names is in the
    glossary yet (through ``save_glossary_term``), so that a moderator's edit
    survives; return the terms created."""
    from wiki.glossary import name_key
    from wiki.models import GlossaryName
    from wiki.services import save_glossary_term

    created = []
    for term, synonyms, definition in GLOSSARY:
        keys = [name_key(name) for name in (term, *synonyms)]
        if GlossaryName.objects.filter(key__in=keys).exists():
            continue
        save_glossary_term(
            None, term=term, synonyms=synonyms, definition=definition, summary="Demo glossary"
        )
        created.append(term)
    return created


def _record_demo_reviews(titles: list[str]) -> None:
    """Review the demo pages among ``titles`` (the ones just created)."""
    from wiki import reviews
    from wiki.models import Page
    from wiki.services import record_review, save_page

    today = reviews.today()
    for title, reviewer, years_ago, years_due in DEMO_REVIEWS:
        if title not in titles:
            continue
        page = Page.objects.get(title=title)
        reviewed_on = reviews.add_months(today, -round(years_ago * 12))
        due = reviews.add_months(reviewed_on, years_due * 12)
        record_review(
            page,
            reviewer=reviewer,
            reviewed_on=reviewed_on,
            next_review_due=due,
            note="Demo review.",
        )
        if title in DEMO_EDITS_AFTER_REVIEW:
            addition, summary = DEMO_EDITS_AFTER_REVIEW[title]
            save_page(title, page.body + addition, summary=summary)


def load_demo_pages() -> tuple[list[str], list[str]]:
    """Create every demo page that does not exist yet, through ``save_page``.

    A page that exists under any spelling of a demo title (a redirect left by
    a move included) is never touched, so a moderator's edit of a demo page
    survives every ``make run``. The pages it creates get their clinical
    reviews (``DEMO_REVIEWS``), and the glossary its pages use is loaded
    (``load_demo_glossary``). Returns ``(created, skipped)`` titles, in the
    order they are loaded."""
    from wiki.models import Page
    from wiki.services import save_page

    created, skipped = [], []
    for title, body in PAGES + ARTICLE_PAGES:
        if Page.objects.with_title(title).exists():
            skipped.append(title)
            continue
        save_page(
            title,
            body,
            summary="Demo content",
            metadata=ARTICLE_METADATA.get(title),
            crosslinks=CROSSLINKS.get(title),
        )
        created.append(title)
    _record_demo_reviews(created)
    load_demo_glossary()
    return created, skipped
