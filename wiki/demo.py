"""The demo pages, in our own words. Loaded by ``manage.py loaddemo``."""

import datetime

DEMO_AUTHOR = "KCR Wiki editors"

MAIN_PAGE = """\
Welcome to **KCR Wiki**, a plain-English guide to kidney cancer treatments for
patients and the people who care for them.

Each page explains what a treatment is, who it is for, what the studies found
and what it is like to go through it. Pages are written and checked by our
moderators, and every change is kept so you can see how a page has grown.

## Start here

- [[Interleukin-2]]: an immune therapy that has helped a small group of
  patients stay well for many years.
- [[High Dose Interleukin-2]] and [[Low Dose Interleukin-2]]: the two main ways
  it is given.
- [[IL-21]]: a related immune messenger that has been studied in trials.

If you are new to a diagnosis, bring your questions to your medical team. These
pages can help you decide what to ask.
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

# Titles and bodies, in the order they are loaded.
PAGES = [
    ("Main Page", MAIN_PAGE),
    ("Interleukin-2", INTERLEUKIN_2),
    ("High Dose Interleukin-2", HIGH_DOSE),
    ("Low Dose Interleukin-2", LOW_DOSE),
    ("IL-21", IL_21),
    ("Proleukin", "#REDIRECT [[Interleukin-2]]\n"),
    ("Aldesleukin", "#REDIRECT [[Interleukin-2]]\n"),
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
