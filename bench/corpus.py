"""A generated corpus for the benchmarks, in importpages' JSONL format.

Realistic markdown: headings, paragraphs, lists, tables, 5-20 wiki links a
page (some to missing pages), 10% redirects, 1-20 revisions a page. Seeded,
so two runs import the same corpus.
"""

import datetime
import json
import random

WORDS = (
    "kidney cancer treatment immune therapy dose response patient trial scan tumour "
    "infusion hospital nurse doctor side effect fatigue fever blood pressure kidney "
    "function liver test appetite nausea rash week month year study result survival "
    "partial complete stable disease progression clinic question family carer support "
    "medicine tablet injection vein surgery radiation targeted inhibitor antibody "
    "protein cell signal growth vessel lung bone brain lymph node stage grade biopsy"
).split()
TOPICS = (
    "Interleukin Nephrectomy Sunitinib Pazopanib Axitinib Cabozantinib Nivolumab "
    "Ipilimumab Pembrolizumab Everolimus Temsirolimus Bevacizumab Sorafenib Lenvatinib "
    "Tivozanib Belzutifan Radiotherapy Cryoablation Embolisation Biopsy Staging Fatigue "
    "Nutrition Exercise Anaemia Hypertension Insomnia Anxiety Diarrhoea Mouth-sores"
).split()
RARE_WORD = "zygomorphic"
COMMON_WORD = "treatment"


def title_for(number: int) -> str:
    topic = TOPICS[number % len(TOPICS)]
    return f"{topic} note {number:05d}"


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))


def body_for(rng: random.Random, number: int, total: int, revision: int) -> str:
    links = [
        f"[[{title_for(rng.randrange(total + total // 10))}]]" for _ in range(rng.randint(5, 20))
    ]
    parts = [paragraph(rng) + " See " + ", ".join(links[:3]) + "."]
    for heading in ("What it is", "Who it is for", "What the studies found", "Side effects"):
        parts.append(f"## {heading}")
        parts.append(paragraph(rng))
    parts.append("\n".join(f"- {sentence(rng)} {link}" for link in links[3:]))
    parts.append(
        "| Study | Patients | Response |\n|---|---|---|\n"
        + "\n".join(
            f"| Trial {rng.randint(1, 99)} | {rng.randint(20, 900)} | {rng.randint(1, 60)}% |"
            for _ in range(4)
        )
    )
    if number % 97 == 0:
        parts.append(f"A {RARE_WORD} finding was noted.")
    parts.append(f"Revision {revision} of this page.")
    return "\n\n".join(parts) + "\n"


def page_record(rng: random.Random, number: int, total: int) -> dict:
    title = title_for(number)
    start = datetime.datetime(2007, 1, 1, tzinfo=datetime.UTC)
    if number % 10 == 9:
        target = title_for(rng.randrange(total))
        revisions = [{"body": f"#REDIRECT [[{target}]]\n", "summary": "redirect"}]
    else:
        revisions = [
            {"body": body_for(rng, number, total, revision), "summary": f"edit {revision}"}
            for revision in range(rng.randint(1, 20))
        ]
    for index, revision in enumerate(revisions):
        revision["author"] = "bench"
        revision["date"] = (start + datetime.timedelta(days=number, minutes=index)).isoformat()
    return {"title": title, "revisions": revisions}


def special_records() -> list[dict]:
    """Pages for single measurements: long histories and a 1 MB page."""
    start = datetime.datetime(2010, 1, 1, tzinfo=datetime.UTC)

    def history(title, count):
        return {
            "title": title,
            "revisions": [
                {
                    "body": f"Version {index} of a page with a long history.\n",
                    "summary": f"edit {index}",
                    "author": "bench",
                    "date": (start + datetime.timedelta(seconds=index)).isoformat(),
                }
                for index in range(count)
            ],
        }

    rng = random.Random(7)
    lines = [sentence(rng) for _ in range(10_500)]
    changed = list(lines)
    for index in range(0, len(changed), 37):
        changed[index] = sentence(rng)
    big = {
        "title": "Bench big page",
        "revisions": [
            {"body": "\n\n".join(lines), "summary": "first", "author": "bench"},
            {"body": "\n\n".join(changed), "summary": "second", "author": "bench"},
        ],
    }
    ten_kb = {
        "title": "Bench PDF page",
        "revisions": [
            {
                "body": "\n\n".join(body_for(rng, 0, 1000, revision) for _ in range(4))[:10_240],
                "summary": f"edit {revision}",
                "author": "bench",
            }
            for revision in range(4)
        ],
    }
    return [history("Bench history", 10_000), history("Bench edit", 1_000), big, ten_kb]


def write_corpus(path, pages: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for number in range(pages):
            out.write(json.dumps(page_record(rng, number, pages)) + "\n")
        for record in special_records():
            out.write(json.dumps(record) + "\n")
