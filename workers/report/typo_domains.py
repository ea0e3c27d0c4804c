"""Well-known mailbox domains, second-level names, TLDs and TLD typos (SPEC §14; data for `typos.py`).

Sources (reference/addresses.md §1): the default lists of Kicksend/mailcheck 1.1.2 [MC] and of its successor
@zootools/email-spell-checker 1.12.0 [ZT], re-cut for the people who sign up to Olympus and extended with the
providers of `mailboxes.CONSUMER_DOMAINS` (a test keeps that table a subset of this one). Left out on
purpose: `google.com` (Google's corporate domain, not a mailbox service; zootools #8 dropped it too),
`pm.com` (zootools' slip for Proton's `pm.me`), `mailw.com` and `titan.email` (hosting products, not
consumer mailboxes) and zootools' `xn` "TLD" (a Punycode prefix, not a TLD).

A domain on WELL_KNOWN_DOMAINS is never a typo, however close it is to another one (`mail.com`,
`gmx.com`, `aim.com`, `me.com`, `live.com`, `msn.com` are real mailboxes that look like others).
"""

from __future__ import annotations

# (provider, its mailbox domains). Read down a provider at a time; the order of the rows is the
# tie-break between two equally close suggestions, so the largest providers come first.
PROVIDER_DOMAINS: tuple[tuple[str, str], ...] = (
    ("Google", "gmail.com googlemail.com"),
    (
        "Microsoft",
        "outlook.com hotmail.com live.com msn.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it"
        " hotmail.es outlook.de outlook.fr outlook.es outlook.it live.co.uk live.fr live.de live.it"
        " live.nl live.ca",
    ),
    ("Yahoo", "yahoo.com ymail.com rocketmail.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.ca"),
    ("AOL", "aol.com aim.com"),
    ("Apple", "icloud.com me.com mac.com"),
    ("Proton", "proton.me protonmail.com protonmail.ch pm.me"),
    ("GMX / WEB.DE / mail.com", "gmx.de gmx.net gmx.com gmx.at gmx.ch web.de mail.com email.com"),
    ("Yandex", "yandex.ru yandex.com ya.ru"),
    ("Mail.ru", "mail.ru bk.ru inbox.ru list.ru"),
    ("Deutsche Telekom", "t-online.de"),
    ("Orange", "orange.fr wanadoo.fr"),
    ("Free", "free.fr"),
    ("La Poste", "laposte.net"),
    ("Libero", "libero.it"),
    ("Seznam", "seznam.cz"),
    ("Wirtualna Polska / o2", "wp.pl o2.pl"),
    ("Tencent / NetEase", "qq.com 163.com"),
    ("Zoho", "zoho.com zohomail.com"),
    ("Fastmail", "fastmail.com fastmail.fm"),
    ("HEY", "hey.com"),
    ("Tuta", "tutanota.com tutanota.de tuta.io tuta.com"),
    ("US internet providers", "comcast.net att.net sbcglobal.net bellsouth.net verizon.net cox.net"),
    ("US internet providers", "charter.net earthlink.net optonline.net"),
    ("UK internet providers", "btinternet.com sky.com"),
    ("Canadian internet providers", "shaw.ca rogers.com sympatico.ca telus.net"),
    ("Australia / New Zealand", "optusnet.com.au xtra.co.nz"),
)

WELL_KNOWN_DOMAINS: tuple[str, ...] = tuple(
    domain for _, domains in PROVIDER_DOMAINS for domain in domains.split()
)

# Second-level names whose every country variant is a real mailbox domain: `yahoo.es`, `hotmail.it`,
# `gmx.fr` are fine although not listed above. Kicksend 1.1.2's list (zootools dropped `gmx`, which
# made it call GMX's own country domains typos), plus `aol` and `yandex`. `gmail` is deliberately not
# here: Google has no country domains, and gmail.<tld> other than .com is somebody else's.
SECOND_LEVEL_NAMES: tuple[str, ...] = ("yahoo", "hotmail", "mail", "live", "outlook", "gmx", "aol", "yandex")

# Real TLDs, Kicksend's 40 then zootools' additions (`co.uk` and the like count as one TLD). A typed TLD
# on this list is never "corrected" to another TLD, except through TLD_TYPOS below (yahoo.co → .com).
TOP_LEVEL_SOURCES: tuple[tuple[str, str], ...] = (
    (
        "Kicksend/mailcheck 1.1.2",
        "com com.au com.tw ca co.nz co.uk de fr it ru net org edu gov jp nl kr se eu ie co.il us at be dk hk"
        " es gr ch no cz in net.au info biz mil co.jp sg hu uk",
    ),
    (
        "zootools 1.12.0: countries",
        "co sk ar cf cl cn ga gq ir ml mx nu nz ph pl ro tk tw ua vg ws za au br fi id",
    ),
    (
        "zootools 1.12.0: names startups use",
        "app ai blog cloud club cc dev digital finance io me mobi network pw so xyz software to tech",
    ),
)

TOP_LEVEL_DOMAINS: tuple[str, ...] = tuple(tld for _, tlds in TOP_LEVEL_SOURCES for tld in tlds.split())

# (typed TLD, intended TLD): the common slips of the finger. Applied only when the corrected domain is
# a well-known mailbox domain: `co`, `cm` and `om` are real country TLDs (Colombia, Cameroon, Oman),
# so acme.co stays acme.co, while gmail.co, yahoo.cm and hotmail.co are typos of .com.
TLD_TYPOS: tuple[tuple[str, str], ...] = (
    ("con", "com"),
    ("cmo", "com"),
    ("ocm", "com"),
    ("cm", "com"),
    ("co", "com"),
    ("om", "com"),
    ("comm", "com"),
    ("coom", "com"),
    ("ccom", "com"),
    ("cpm", "com"),
    ("cim", "com"),
    ("vom", "com"),
    ("xom", "com"),
    ("c0m", "com"),
    ("nte", "net"),
    ("ent", "net"),
    ("ner", "net"),
    ("nett", "net"),
    ("ogr", "org"),
    ("rog", "org"),
    ("orgg", "org"),
    ("couk", "co.uk"),
    ("co.uj", "co.uk"),
    ("co.ik", "co.uk"),
)
