"""Generate a deterministic synthetic repository of Danish meeting minutes for benchmarks."""

from __future__ import annotations

import argparse
import datetime
import json
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------- bodies

START_DATE = datetime.date(2015, 1, 5)


@dataclass(frozen=True)
class Body:
    """A body that meets: folder slug, display name and what it works with."""

    slug: str
    name: str
    weight: float
    steps: tuple[int, ...]
    domains: tuple[str, ...]
    locations: tuple[str, ...]
    times: tuple[str, ...]


BODIES: tuple[Body, ...] = (
    Body(
        "direktionen",
        "Direktionen",
        4.0,
        (7, 7, 7, 7, 14),
        ("social", "teknik", "boern", "oekonomi", "general"),
        ("Teams", "Mødelokale 1", "Direktionens mødelokale", "Rådhuset, lokale 2.14"),
        ("08:30", "09:00", "09:30"),
    ),
    Body(
        "byraadet",
        "Byrådet",
        1.0,
        (28, 35),
        ("social", "teknik", "boern", "oekonomi", "general"),
        ("Byrådssalen", "Byrådssalen, Rådhuset"),
        ("17:00", "18:00", "19:00"),
    ),
    Body(
        "socialudvalget",
        "Socialudvalget",
        1.5,
        (28, 35),
        ("social", "general"),
        ("Udvalgsværelset", "Mødelokale 3", "Teams"),
        ("15:00", "16:00", "16:30"),
    ),
    Body(
        "teknik-og-miljoeudvalget",
        "Teknik- og Miljøudvalget",
        1.5,
        (28, 35),
        ("teknik", "general"),
        ("Udvalgsværelset", "Mødelokale 2", "Teknik- og Miljøcentret, mødelokale A"),
        ("15:30", "16:00", "17:00"),
    ),
    Body(
        "boerne-og-skoleudvalget",
        "Børne- og Skoleudvalget",
        1.5,
        (28, 35),
        ("boern", "general"),
        ("Udvalgsværelset", "Mødelokale 4", "Rådhuset, lokale 1.07"),
        ("16:00", "16:30", "17:00"),
    ),
    Body(
        "oekonomiudvalget",
        "Økonomiudvalget",
        1.5,
        (28, 35),
        ("oekonomi", "general"),
        ("Udvalgsværelset", "Borgmesterens mødelokale"),
        ("15:00", "16:00"),
    ),
)

UNITS: dict[str, tuple[str, ...]] = {
    "social": (
        "Social- og Handicapcentret",
        "Sundheds- og Omsorgscentret",
        "Arbejdsmarkedscentret",
        "Center for Sundhed og Ældre",
    ),
    "teknik": (
        "Teknik- og Miljøcentret",
        "Center for Plan og Byg",
        "Ejendomscentret",
        "Center for Vej og Park",
    ),
    "boern": (
        "Center for Børn og Familie",
        "Skolecentret",
        "Center for Dagtilbud",
        "Ungecentret",
    ),
    "oekonomi": (
        "Center for Økonomi og Digitalisering",
        "Økonomi- og Digitaliseringscentret",
        "HR og Udvikling",
        "Center for Politik og Borgerservice",
    ),
    "general": (
        "Administrationen",
        "Sekretariatet",
        "Center for Politik og Borgerservice",
        "Økonomi- og Digitaliseringscentret",
    ),
}

TOPICS: dict[str, tuple[str, ...]] = {
    "social": (
        "tilbudsviften på det specialiserede voksenområde",
        "sammenhængende borgerforløb",
        "botilbuddene på {street}",
        "hjemmeplejens rekruttering",
        "plejeboligkapaciteten frem mod {NEXTYEAR3}",
        "den rehabiliterende indsats",
        "misbrugsbehandlingen",
        "handicappolitikken",
        "beskæftigelsesindsatsen for unge under 30 år",
        "dagtilbuddene for voksne med handicap",
        "socialtilsynets tilsynsrapporter",
        "værdighedspolitikken",
        "den boligsociale helhedsplan for {PLACE}",
        "hjælpemiddelområdet",
        "ventetiden på genoptræning",
    ),
    "teknik": (
        "klimatilpasningen i {PLACE}",
        "den nye affaldsordning",
        "trafiksikkerheden omkring skolerne",
        "vedligeholdelsen af kommunale bygninger",
        "energirenoveringen af kommunale bygninger",
        "cykelstiplanen",
        "vintertjenesten",
        "lokalplanen for {PLACE}",
        "spildevandsplanen",
        "den kollektive trafik",
        "belysningen på {street}",
        "genbrugspladserne",
        "byfornyelsen i {PLACE}",
        "naturplejen i {PLACE}",
    ),
    "boern": (
        "kapaciteten på dagtilbudsområdet",
        "inklusionsindsatsen i folkeskolen",
        "renoveringen af {school}",
        "den forebyggende indsats for udsatte børn og unge",
        "skolestrukturen i {PLACE}",
        "ungdomsuddannelsesvejledningen",
        "specialundervisningen",
        "sprogscreeningen af treårige",
        "fritidstilbuddene for unge",
        "elevernes trivsel",
        "pladsanvisningen",
        "anbringelsesområdet",
    ),
    "oekonomi": (
        "budgetopfølgningen",
        "anlægsprogrammet",
        "indkøbsaftalerne",
        "digitaliseringen af borgerservice",
        "sygefraværet blandt kommunens medarbejdere",
        "likviditeten",
        "den kommunale lånoptagelse",
        "ejendomsstrategien",
        "effektiviseringsstrategien",
        "it-sikkerheden",
        "udbudsplanen",
    ),
    "general": (
        "befolkningsprognosen",
        "samarbejdet med erhvervslivet",
        "kommunens kommunikationsstrategi",
        "ledelsestilsynet",
        "arbejdsmiljøet",
        "bosætningsstrategien",
        "nærdemokratiet i {PLACE}",
        "frivillighedspolitikken",
        "FN's verdensmål i kommunens politikker",
        "borgerinddragelsen",
    ),
}

TITLE_TEMPLATES: tuple[str, ...] = (
    "Status på {TOPIC}",
    "Status på {TOPIC}",
    "Orientering om {TOPIC}",
    "Orientering om {TOPIC}",
    "Evaluering af {TOPIC}",
    "Temadrøftelse: {TOPIC}",
    "Tillægsbevilling vedrørende {TOPIC}",
    "Handleplan for {TOPIC}",
    "Udfordringer og løsninger på {TOPIC}",
    "Prioriteringsforslag vedrørende {TOPIC} til budget {NEXTYEAR}-{NEXTYEAR3}",
    "Budgetopfølgning pr. {bo_date} {YEAR}",
    "Regnskab {PREVYEAR}",
    "Budget {NEXTYEAR}-{NEXTYEAR3} \u2013 {budget_phase}",
    "Kriterier for {criteria_obj} i {area}",
    "Godkendelse af {plan}",
    "Høring over {plan}",
    "Forslag til {plan}",
    "Anlægsbevilling til {project}",
    "Udmøntning af {pulje}",
    "Ansøgning om {grant}",
    "Afklaring af drøftelsespunkter til kommende møde med {meetwith}",
    "Kvalitetsrapport for {qr} {PREVYEAR}/{YEAR}",
    "Tilsynsrapport for {institution}",
    "Mødeplan for {NEXTYEAR}",
)

STANDING_TITLES: tuple[str, ...] = (
    "Øvrige sager",
    "Meddelelser",
    "Godkendelse af dagsorden",
    "Eventuelt",
)

CLOSED_TITLES: tuple[str, ...] = (
    "Personalesag",
    "Køb af ejendom i {PLACE}",
    "Salg af grund på {street}",
    "Tildeling af kontrakt \u2013 udbud af {udbud}",
    "Klagesag vedrørende {klage}",
    "Forlig i erstatningssag",
    "Lukket punkt \u2013 udbud af {udbud}",
    "Ansættelse af centerchef",
)

PUBLIC_SUMMARIES: tuple[str, ...] = (
    "{BODY} godkendte indstillingen.",
    "{BODY} traf beslutning i sagen. Beslutningen offentliggøres, når parterne er orienteret.",
    "{BODY} godkendte salget. Købesummen offentliggøres, når skødet er tinglyst.",
    "{BODY} tog orienteringen til efterretning.",
    (
        "{BODY} godkendte tildelingen af kontrakten. Navnet på leverandøren offentliggøres efter "
        "standstill-periodens udløb."
    ),
    "Sagen blev udsat til næste møde.",
)

FIRST_NAMES: tuple[str, ...] = (
    "Lars",
    "Jørgen",
    "Charlotte",
    "Kathrine",
    "Anya",
    "Mette",
    "Søren",
    "Henrik",
    "Anne",
    "Pia",
    "Bjørn",
    "Morten",
    "Birgitte",
    "Jens",
    "Hanne",
    "Mads",
    "Louise",
    "Rasmus",
    "Camilla",
    "Torben",
    "Lene",
    "Kirsten",
    "Ole",
    "Niels",
    "Ida",
    "Frederik",
    "Signe",
    "Thomas",
    "Marianne",
    "Peter",
    "Jesper",
    "Helle",
    "Karina",
    "Michael",
    "Dorte",
    "Rikke",
    "Steen",
    "Bente",
    "Åse",
    "Ulla",
    "Søs",
    "Kåre",
)

LAST_NAMES: tuple[str, ...] = (
    "Holte",
    "Lerhard",
    "Markussen",
    "Seier Skastrup",
    "Krogh Manghezi",
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Poulsen",
    "Johansen",
    "Møller",
    "Mortensen",
    "Østergaard",
    "Bøgh",
    "Kjær",
    "Lund",
    "Dahl",
    "Frølund",
    "Skov",
    "Bach",
    "Holm",
    "Vestergaard",
    "Damgaard",
    "Brøndum",
    "Højgaard",
    "Aagaard",
    "Lykke Sørensen",
    "Bjerregaard",
    "Nørgaard",
)

# --------------------------------------------------------------------------- vocabulary
# Lower-case placeholders are drawn from VOCAB (or a generator) every time they occur;
# upper-case ones are bound once per item (BODY, TOPIC, UNIT, PLACE, YEAR, ...).

VOCAB: dict[str, tuple[str, ...]] = {
    "PLACE_": (
        "Taastrup",
        "Hedehusene",
        "Nærheden",
        "Sengeløse",
        "Fløng",
        "Reerslev",
        "Blåkilde",
        "Gadehavegård",
        "Charlottekvarteret",
        "Taastrupgård",
        "Torstorp",
        "Baldersbrønde",
        "Vridsløsemagle",
        "Klovtofte",
    ),
    "street": (
        "Frøgård Allé",
        "Solsortevej",
        "Stationsvej",
        "Pile Allé",
        "Taastrup Torv",
        "Porsehaven",
        "Køgevej",
        "Hovedgaden",
        "Blåkildevej",
        "Roskildevej",
        "Baldersbækvej",
        "Mølleager",
        "Rådhusstræde",
    ),
    "school": (
        "Borgerskolen",
        "Selsmoseskolen",
        "Parkskolen",
        "Gadehaveskolen",
        "Charlotteskolen",
        "Fløng Skole",
        "Reerslev Skole",
        "Mølleholmskolen",
    ),
    "month": (
        "januar",
        "februar",
        "marts",
        "april",
        "maj",
        "juni",
        "august",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "bo_date": ("31. marts", "30. april", "31. maj", "30. juni", "31. august", "30. september"),
    "budget_phase": (
        "første behandling",
        "anden behandling",
        "tekniske korrektioner",
        "budgetforudsætninger",
        "proces og tidsplan",
    ),
    "criteria_obj": (
        "privat udlejning",
        "tildeling af boliger",
        "fleksibel udlejning",
        "kombineret udlejning",
        "tildeling af puljemidler",
        "dispensation fra lokalplanen",
    ),
    "area": (
        "udsatte boligområder",
        "{PLACE}",
        "de almene boligafdelinger",
        "landsbyerne",
        "erhvervsområdet ved {street}",
    ),
    "plan": (
        "lokalplan nr. {lp} for {PLACE}",
        "kommuneplantillæg nr. {small}",
        "klimaplanen {YEAR}-{NEXTYEAR3}",
        "sundhedspolitikken",
        "ældrepolitikken",
        "den nye børne- og ungepolitik",
        "trafiksikkerhedsplanen",
        "styrelsesvedtægten",
        "takster for {NEXTYEAR}",
        "kvalitetsstandarder for hjemmepleje",
        "serviceniveauet for vintertjeneste",
        "affaldsregulativet",
        "skolernes ferieplan for {NEXTYEAR}/{NEXTYEAR1}",
    ),
    "project": (
        "udvidelse af {school}",
        "nyt botilbud på {street}",
        "renovering af svømmehallen i {PLACE}",
        "cykelsti langs {street}",
        "ny daginstitution i {PLACE}",
        "klimasikring af {street}",
        "etablering af ladestandere ved rådhuset",
        "ombygning af borgerservice",
        "LED-belysning på kommunale veje",
    ),
    "pulje": (
        "puljen til bedre normeringer",
        "værdighedsmilliarden",
        "puljen til løft af ældreplejen",
        "klimapuljen",
        "puljen til landsbyfornyelse",
        "den boligsociale pulje",
    ),
    "grant": (
        "midler fra Landsbyggefonden",
        "tilskud fra Socialstyrelsen",
        "midler fra puljen til styrket indsats mod ensomhed",
        "medfinansiering fra Region Hovedstaden",
        "midler fra A.P. Møller Fonden",
    ),
    "meetwith": (
        "borgmesteren",
        "udvalgsformændene",
        "KL",
        "Region Hovedstaden",
        "MED-hovedudvalget",
    ),
    "qr": ("skoleområdet", "dagtilbudsområdet", "ældreområdet", "det specialiserede socialområde"),
    "institution": (
        "Solgården",
        "Porsehaven",
        "Cirklen",
        "Opgangsfællesskabet {street}",
        "Plejecenter {PLACE}",
        "Bofællesskabet {street}",
    ),
    "udbud": (
        "rengøring",
        "madservice",
        "kørsel",
        "vintertjeneste",
        "it-drift",
        "hjælpemidler",
        "vikarydelser",
    ),
    "klage": (
        "en byggesag",
        "en anbringelse",
        "en tjenestemandssag",
        "en erstatningssag",
        "et udbud",
    ),
    "adm": ("administrationen", "forvaltningen", "centret"),
    "party": (
        "KL",
        "Socialtilsynet",
        "Region Hovedstaden",
        "de faglige organisationer",
        "MED-hovedudvalget",
        "Handicaprådet",
        "Ældrerådet",
        "skolebestyrelserne",
        "boligselskabet",
        "Ankestyrelsen",
        "Arbejdstilsynet",
        "de lokale foreninger",
        "Integrationsrådet",
        "nabokommunerne",
    ),
    "party_stance": (
        "der er generel opbakning til den foreslåede model",
        "der er enighed om at fortsætte samarbejdet",
        "parterne har udtrykt bekymring for tidsplanen",
        "der er aftalt en fælles opfølgning i {month}",
        "høringssvarene er vedlagt som bilag",
        "der er endnu ikke truffet endelig beslutning",
    ),
    "finding": (
        "efterspørgslen er steget markant de seneste år",
        "udgifterne pr. borger ligger over landsgennemsnittet",
        "der er en betydelig variation i serviceniveauet mellem enhederne",
        "borgerne generelt er tilfredse med tilbuddet",
        "ventetiden er nedbragt fra {n2} til {small} uger",
        "der er et potentiale for en bedre ressourceudnyttelse",
        "en stor del af borgerne i målgruppen ikke benytter tilbuddet",
        "antallet af henvendelser er faldet med {pct} procent",
        "sygefraværet er steget blandt medarbejderne",
        "de fysiske rammer ikke lever op til nutidens krav",
        "kapaciteten er fuldt udnyttet",
        "der er behov for flere pladser på længere sigt",
        "de forventede stordriftsfordele ikke er realiseret",
        "der er færre ledige pladser end forudsat i budgettet",
        "de unge i højere grad end tidligere gennemfører en ungdomsuddannelse",
        "tilgangen af nye borgere er større end forudsat i befolkningsprognosen",
    ),
    "assessment": (
        "der er behov for en tættere opfølgning på {TOPIC}",
        "forslaget kan gennemføres inden for den afsatte ramme",
        "udgifterne fortsat vil stige, hvis der ikke gribes ind",
        "det er muligt at realisere en effektivisering på ca. {mio} mio. kr. fra {NEXTYEAR}",
        "arbejdet bør udsættes, indtil der foreligger en samlet plan",
        "muligheden for at indgå et samarbejde med {party} bør undersøges nærmere",
        "risikoen for en påtale fra {party} er begrænset",
        "den foreslåede model giver den bedste balance mellem kvalitet og økonomi",
        "det ikke er realistisk at gennemføre ændringerne før {NEXTYEAR}",
        "der fortsat er udfordringer, som kræver politisk stillingtagen",
    ),
    "decision_clause": (
        "{adm} skulle udarbejde et prioriteringsforslag til budgetprocessen",
        "sagen skulle genoptages, når der forelå en evaluering",
        "der skulle igangsættes en analyse af {TOPIC}",
        "de afsatte midler skulle anvendes til en midlertidig løsning",
        "{UNIT} skulle vende tilbage med en samlet plan",
        "der fremover ikke skal visiteres nye borgere til tilbuddet",
        "forslaget skulle sendes i høring hos {party}",
    ),
    "service": (
        "hjemmehjælp",
        "et dagtilbud",
        "et botilbud efter servicelovens § {par}",
        "støtte i eget hjem",
        "specialundervisning",
        "en forebyggende foranstaltning",
        "kontanthjælp",
        "genoptræning",
        "et aflastningstilbud",
        "en plads i en daginstitution",
    ),
    "finance": (
        "inden for udvalgets egen ramme",
        "af kassebeholdningen",
        "ved en omprioritering af anlægsrammen",
        "via den centrale pulje til uforudsete udgifter",
        "ved mindreforbrug på andre områder",
        "af de afsatte midler til {TOPIC}",
        "ved en tilsvarende reduktion af konto 6",
    ),
    "goal": (
        "sikre en bedre sammenhæng i indsatsen",
        "nedbringe ventetiden for borgerne",
        "skabe bedre fysiske rammer for borgere og medarbejdere",
        "realisere de forventede effektiviseringer",
        "styrke samarbejdet på tværs af centrene",
        "opfylde lovgivningens krav",
        "reducere udgifterne til eksterne tilbud",
        "give borgerne et tilbud tæt på deres nærmiljø",
        "fastholde og rekruttere kvalificerede medarbejdere",
        "skabe overblik over de samlede udfordringer",
    ),
    "measure": (
        "nedlægge tilbuddet og købe pladser til borgerne uden for kommunen",
        "omdanne tilbuddet til et tilbud efter servicelovens § {par}",
        "udvide kapaciteten på den eksisterende matrikel",
        "samle funktionerne på én adresse",
        "indgå en driftsaftale med en privat leverandør",
        "etablere et midlertidigt tilbud i pavilloner",
        "omlægge indsatsen til en mere forebyggende tilgang",
        "gennemføre en fælles udbudsproces med nabokommunerne",
        "ansætte en projektleder i en tidsbegrænset stilling",
    ),
    "effect": (
        "give en bedre udnyttelse af de eksisterende ressourcer",
        "kunne realiseres allerede fra midt i {NEXTYEAR}",
        "sikre borgerne et mere stabilt tilbud",
        "mindske behovet for eksterne køb",
        "reducere udgifterne med ca. {mio} mio. kr. årligt",
        "styrke kvaliteten i indsatsen",
    ),
    "neg_effect": (
        "betyde, at kommunen risikerer at betale en højere pris for pladserne",
        "kræve en engangsinvestering på ca. {mio} mio. kr.",
        "medføre mindre progression for borgerne",
        "forudsætte, at der findes andre egnede lokaler",
        "udskyde gevinsterne til tidligst {NEXTYEAR1}",
        "kræve en ændring af den gældende lovgivning",
    ),
    "concern": (
        "kommunen i øjeblikket ikke kan følge med efterspørgslen på lokaler",
        "der er knappe anlægsmidler i de kommende år",
        "rekrutteringssituationen fortsat er vanskelig",
        "den uafklarede situation skaber usikkerhed blandt borgere og pårørende",
        "udgiftspresset på området er stigende",
        "de nuværende it-systemer ikke understøtter arbejdsgangene tilstrækkeligt",
    ),
    "problem": (
        "problemer med skimmelsvamp i to af boligerne",
        "udfordringer med adgangsforholdene",
        "en række uafklarede spørgsmål om ejerforholdet",
        "en tilbagevendende arbejdsmiljøproblematik",
        "et betydeligt efterslæb på vedligeholdelsen",
        "mangler i dokumentationen af indsatsen",
    ),
    "forum": (
        "chefforum",
        "MED-hovedudvalget",
        "den tværgående styregruppe",
        "ledergruppen",
        "Handicaprådet",
        "Ældrerådet",
        "det lokale MED-udvalg",
    ),
    "law": (
        "servicelovens § {par}",
        "almenboliglovens § 105",
        "dagtilbudslovens § 4",
        "folkeskolelovens § 40",
        "styrelseslovens § 40",
        "planlovens § 24",
        "lov om kommunernes styrelse",
        "forvaltningslovens regler om partshøring",
        "databeskyttelsesforordningen",
    ),
    "obligation": (
        "sikre, at tilbuddet lever op til kravene om fysiske rammer",
        "føre tilsyn med de private leverandører",
        "fastsætte kvalitetsstandarder for indsatsen",
        "inddrage borgerne i planlægningen",
        "offentliggøre beslutningen på kommunens hjemmeside",
        "afholde et offentligt borgermøde i høringsperioden",
    ),
    "assumption": (
        "der træffes beslutning inden sommerferien",
        "finansieringen er på plads ved budgetvedtagelsen",
        "høringsperioden kan afsluttes i {month}",
        "der kan findes en egnet leverandør",
        "de nødvendige tilladelser foreligger",
    ),
    "expectation": (
        "byggeriet kan påbegyndes",
        "de første borgere kan flytte ind",
        "den nye organisering er fuldt implementeret",
        "der foreligger en endelig evaluering",
        "udbuddet kan afsluttes",
    ),
    "period": (
        "første halvår {NEXTYEAR}",
        "andet halvår {YEAR}",
        "{NEXTYEAR}",
        "foråret {NEXTYEAR}",
    ),
    "cause": (
        "flere borgere med komplekse behov",
        "stigende priser på eksterne tilbud",
        "forsinkelser i implementeringen",
        "et højere aktivitetsniveau end forudsat",
        "ekstraordinære udgifter til vikarer",
        "den demografiske udvikling",
    ),
    "recommendation": (
        "udgiften indarbejdes i budgetforslaget for {NEXTYEAR}",
        "sagen indgår i den samlede politiske prioritering",
        "der gennemføres en nærmere analyse",
        "aktiviteten nedjusteres til det budgetterede niveau",
    ),
    "note": (
        "sagen ikke har konsekvenser for kommunens samlede økonomi",
        "forslaget er udarbejdet i samarbejde med {party}",
        "der er tale om en generel landsdækkende problemstilling",
        "de økonomiske konsekvenser er opgjort i {YEAR}-priser",
        "tallene er foreløbige og kan blive justeret",
        "sagen behandles i {forum} forud for mødet",
    ),
    "condition": (
        "analysen er afsluttet",
        "der foreligger et overslag fra rådgiveren",
        "høringssvarene er behandlet",
        "budgetforhandlingerne er afsluttet",
        "der er afklaring fra {party}",
    ),
    "kommune": (
        "Albertslund",
        "Ballerup",
        "Greve",
        "Roskilde",
        "Glostrup",
        "Ishøj",
        "Furesø",
        "Egedal",
        "Køge",
    ),
    "eval_period": ("et år", "to år", "den første driftsperiode", "seks måneder"),
    "unit_places": ("boliger", "pladser", "lejemål", "midlertidige pladser"),
    "bullet": (
        "status på {TOPIC}",
        "opfølgning på ledelsestilsyn",
        "befolkningsprognosen",
        "KL's økonomiske udmelding",
        "orientering fra {party}",
        "tidsplan for budgetprocessen",
        "sygefravær i {YEAR}",
        "evaluering af {TOPIC}",
        "høring hos {party}",
        "proces for borgerinddragelse",
        "opfølgning på tilsyn",
        "lokalebehov i {PLACE}",
        "ændring af mødeplanen",
        "henvendelse fra {party}",
    ),
    "sub": (
        "Økonomi",
        "Tidsplan",
        "Det videre forløb",
        "Inddragelse og høring",
        "Konsekvenser for borgerne",
        "Organisering",
        "Juridiske forhold",
        "Risici",
        "Bæredygtighed og klima",
        "Kommunikation",
        "Status i {PLACE}",
        "Erfaringer fra andre kommuner",
        "Bomiljøet {institution}",
    ),
    "rec": (
        "godkender, at {recommendation}",
        "godkender, at {adm} arbejder videre med at {goal}",
        "tager orienteringen om {TOPIC} til efterretning",
        "drøfter, hvordan {TOPIC} skal prioriteres i den kommende budgetproces",
        "godkender en tillægsbevilling på {mio} mio. kr., finansieret {finance}",
        "godkender tidsplanen for det videre arbejde",
        "godkender, at forslaget sendes i høring hos {party}",
        "drøfter hvilket år, det er realistisk at {goal}",
        "godkender, at {adm} følger udviklingen tæt og vender tilbage i {month}",
    ),
    "decision": (
        "{BODY} godkendte indstillingen.",
        "Godkendt.",
        "Taget til efterretning.",
        (
            "{BODY} drøftede sagen og godkendte indstillingens punkt 1. Punkt 2 blev udsat til "
            "næste møde."
        ),
        "{BODY} tog orienteringen til efterretning med stor tilfredshed.",
        (
            "{BODY} drøftede sagen. Det blev aftalt, at {adm} vender tilbage med en uddybende "
            "sag, når {condition}."
        ),
        "{BODY} godkendte indstillingen med den bemærkning, at {note}.",
        (
            "{BODY} drøftede sagen. {name} tager opsamlingen med {UNIT} i forhold til den videre "
            "proces."
        ),
        "Anbefales godkendt.",
        "{BODY} drøftede sagen og besluttede at udsætte den til et senere møde.",
    ),
    "decision_extra": (
        "{name} {surname} deltog ikke i behandlingen af punktet på grund af inhabilitet.",
        "Sagen genoptages på mødet i {month}.",
        "{adm_cap} udarbejder et notat til brug for den videre behandling.",
        "Punktet blev behandlet sammen med det foregående punkt.",
        "{name} {surname} var fraværende under behandlingen af punktet.",
    ),
    "adm_cap": ("Administrationen", "Forvaltningen", "{UNIT}"),
    "link": (
        "[KL's vejledning om {TOPIC}](https://www.kl.dk/kommunale-opgaver)",
        "[bekendtgørelsen på Retsinformation](https://www.retsinformation.dk/eli/lta/2020/1287)",
        "[Danmarks Statistik](https://www.dst.dk/da/Statistik)",
        "[Socialstyrelsens anbefalinger](https://socialstyrelsen.dk/tilbud)",
        "[kommunens hjemmeside](https://www.htk.dk/politik/dagsordener-og-referater)",
        "[Sundhedsstyrelsens vejledning](https://www.sst.dk/da/udgivelser)",
    ),
    "term": (
        "tilbudsviften",
        "ledelsestilsyn",
        "servicelovens § {par}",
        "stordriftsfordele",
        "prioriteringsforslag",
        "anlægsrammen",
        "kvalitetsstandarden",
    ),
    "row_label": (
        "Drift",
        "Anlæg",
        "Personale",
        "Husleje",
        "Eksterne køb",
        "Indtægter",
        "Vedligehold",
        "It og licenser",
    ),
    "attachment": (
        "Udkast til politisk sag",
        "Oplæg til direktionsmøde",
        "Opfølgning ledelseskontrol {PREVYEAR}",
        "Notat om {TOPIC}",
        "Høringssvar fra {party}",
        "Økonomisk overblik",
        "Tidsplan",
        "Tilsynsrapport {YEAR}",
        "Kort over {PLACE}",
        "Præsentation fra mødet",
        "Budgetnotat {NEXTYEAR}",
        "Kommissorium",
        "Evaluering af {TOPIC}",
    ),
}

SENTENCES: tuple[str, ...] = (
    "{UNIT} har i {month} {YEAR} gennemført en analyse af {TOPIC}, som viser, at {finding}.",
    "Analysen viser, at {finding}, og at {finding}.",
    "Det er {UNITS} vurdering, at {assessment}.",
    "{BODY} besluttede på mødet i {month} {PREVYEAR}, at {decision_clause}.",
    (
        "Pr. {date}{YEAR} modtager {n} borgere {service}, hvilket er en stigning på {pct} procent "
        "i forhold til samme tidspunkt sidste år."
    ),
    "Merudgiften udgør ca. {mio} mio. kr. årligt og foreslås finansieret {finance}.",
    "Der har været dialog med {party} om {TOPIC}, og {party_stance}.",
    (
        "Såfremt {BODY} godkender indstillingen, vil {adm} igangsætte arbejdet i {month} {YEAR} "
        "med henblik på at {goal}."
    ),
    "En mulig løsning er at {measure}, hvilket vil {effect}.",
    "En anden mulighed er at {measure}, men det vil {neg_effect}.",
    "Samtidig må vi erkende, at {concern}.",
    "Derudover er der {problem}, som {adm} løbende følger op på.",
    "Sagen har været drøftet i {forum}, som bakker op om forslaget.",
    "Ifølge {law} skal kommunen {obligation}.",
    "Tidsplanen forudsætter, at {assumption}.",
    "Det forventes, at {expectation} i løbet af {period}.",
    (
        "Udgifterne til {TOPIC} har i perioden {PREVYEAR}-{YEAR} ligget over det budgetterede "
        "niveau, primært som følge af {cause}."
    ),
    (
        "Der er ikke afsat midler til {TOPIC} i det vedtagne budget, og {adm} anbefaler derfor, "
        "at {recommendation}."
    ),
    "I {PLACE} er der aktuelt {n} {unit_places}, hvoraf {small} står tomme.",
    (
        "Indsatsen evalueres efter {eval_period}, og resultaterne forelægges {BODY} som en "
        "orienteringssag."
    ),
    "{UNIT} vender tilbage med en uddybende sag, når {condition}.",
    "Det bemærkes, at {note}.",
    "Erfaringerne fra andre kommuner, blandt andet {kommune}, viser, at {finding}.",
    "Med de nuværende rammer er det ikke muligt at {goal} uden at {measure}.",
    (
        "Derudover skaber den uafklarede situation usikkerhed, og {UNIT} har derfor brug for en "
        "afklaring i {month}."
    ),
    (
        "For at gøre det muligt skal der findes andre egnede lokaler til nogle af de øvrige "
        "funktioner på {street}."
    ),
    (
        "Restgælden udgør omkring {mio} mio. kr., men boligselskabets holdning til en ændring er "
        "endnu ikke undersøgt."
    ),
    (
        "Så selv om {UNIT} ser en mulighed for en økonomisk gevinst, er det vurderingen, at det "
        "i praksis ikke kan lade sig gøre de kommende år."
    ),
    (
        "Den samlede udgift for {YEAR} forventes at blive {tkr} t.kr., svarende til et "
        "merforbrug på {mio} mio. kr."
    ),
    ("Ventetiden er i øjeblikket {n2} uger, og målet er at nedbringe den til under {small} uger."),
    "{UNIT} anbefaler, at {recommendation}.",
    "Der blev i {month} {PREVYEAR} afholdt et dialogmøde med {party}, hvor {party_stance}.",
    "Forslaget bidrager til at {goal} og understøtter samtidig kommunens arbejde med {TOPIC}.",
    "Endelig skal det nævnes, at {note}.",
)

Generator = Callable[[random.Random], str]


def _danish_number(value: int) -> str:
    """Format an integer with Danish thousands separators: 12345 -> 12.345."""
    return f"{value:,}".replace(",", ".")


def _decimal(rng: random.Random, low: int, high: int) -> str:
    """A number with one decimal and a Danish decimal comma."""
    return f"{rng.randint(low, high) / 10:.1f}".replace(".", ",")


GENERATORS: dict[str, Generator] = {
    "n": lambda rng: str(rng.randint(12, 480)),
    "n2": lambda rng: str(rng.randint(8, 20)),
    "small": lambda rng: str(rng.randint(2, 7)),
    "pct": lambda rng: str(rng.randint(3, 35)),
    "mio": lambda rng: _decimal(rng, 3, 250),
    "tkr": lambda rng: _danish_number(rng.randint(1200, 98000)),
    "par": lambda rng: rng.choice(("85", "103", "104", "105", "107", "108", "52", "83")),
    "lp": lambda rng: str(rng.randint(1, 9)) + "." + str(rng.randint(1, 40)),
    "date": lambda rng: f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-",
    "name": lambda rng: rng.choice(FIRST_NAMES),
    "surname": lambda rng: rng.choice(LAST_NAMES),
}

PLACEHOLDER = re.compile(r"\{([A-Za-z_0-9]+)\}")


# --------------------------------------------------------------------------- helpers


def slugify(title: str, limit: int = 60) -> str:
    """Lower-case ASCII slug: æ→ae, ø→oe, å→aa, other non-alphanumerics → '-'."""
    text = title.lower()
    for src, dst in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), ("ü", "u"), ("ö", "oe")):
        text = text.replace(src, dst)
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "punkt"


def _quote(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Case:
    """A case ("sag") that can be continued at a later meeting of the same body."""

    number: str
    title: str
    topic: str
    closed: bool


@dataclass
class Item:
    """One agenda item, ready to be written as NN-slug.md."""

    title: str
    case: str
    text: str
    closed: bool = False
    public_summary: str | None = None
    attachments: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = ["---", f"title: {_quote(self.title)}", f"case: {_quote(self.case)}"]
        if self.closed:
            lines.append("closed: true")
            if self.public_summary is not None:
                lines.append(f"public_summary: {_quote(self.public_summary)}")
        if self.attachments:
            lines.append("attachments:")
            lines.extend(f"  - {_quote(a)}" for a in self.attachments)
        lines.append("---")
        return "\n".join(lines) + "\n\n" + self.text


class Writer:
    """Builds Danish administrative prose from templates with one seeded Random."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ctx: dict[str, str] = {}
        self.deck: list[str] = []

    def expand(self, template: str) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in self.ctx:
                return self.ctx[key]
            generator = GENERATORS.get(key)
            if generator is not None:
                return generator(self.rng)
            return self.expand(self.rng.choice(VOCAB[key]))

        return PLACEHOLDER.sub(replace, template)

    def start_item(self) -> None:
        """Forget the sentence deck so each item draws its templates afresh."""
        self.deck = []

    def sentence(self) -> str:
        # Deal templates from a shuffled deck so an item rarely repeats a sentence.
        if not self.deck:
            self.deck = list(SENTENCES)
            self.rng.shuffle(self.deck)
        text = self.expand(self.deck.pop())
        if text.endswith(".."):
            text = text[:-1]
        return text[0].upper() + text[1:]

    def paragraph(self, low: int = 2, high: int = 5) -> str:
        count = self.rng.randint(low, high)
        return " ".join(self.sentence() for _ in range(count))

    def bullets(self, low: int = 3, high: int = 6) -> str:
        count = self.rng.randint(low, high)
        seen: list[str] = []
        for _ in range(count * 3):
            entry = self.expand(self.rng.choice(VOCAB["bullet"]))
            entry = entry[0].upper() + entry[1:]
            if entry not in seen:
                seen.append(entry)
            if len(seen) == count:
                break
        return "\n".join(f"- {entry}" for entry in seen)

    def table(self) -> str:
        rng = self.rng
        first = int(self.ctx["NEXTYEAR"])
        years = [str(first + i) for i in range(rng.randint(3, 4))]
        labels = rng.sample(VOCAB["row_label"], rng.randint(2, 4))
        rows: list[list[int]] = [[rng.randint(-50, 120) for _ in years] for _ in labels]
        totals = [sum(column) for column in zip(*rows, strict=True)]

        def cell(tenths: int) -> str:
            return f"{tenths / 10:.1f}".replace(".", ",")

        out = [
            "| Mio. kr. | " + " | ".join(years) + " |",
            "|---|" + "---:|" * len(years),
        ]
        for label, row in zip(labels, rows, strict=True):
            out.append(f"| {label} | " + " | ".join(cell(v) for v in row) + " |")
        out.append("| **I alt** | " + " | ".join(f"**{cell(v)}**" for v in totals) + " |")
        caption = self.expand(
            "Tabel 1: Økonomiske konsekvenser af forslaget, {NEXTYEAR}-priser "
            "(negative tal er mindreudgifter)."
        )
        return "\n".join(out) + "\n\n*" + caption + "*"

    def recommendation(self, body: str, target: str | None) -> str:
        rng = self.rng
        count = rng.randint(1, 4)
        recs = [self.expand(rng.choice(VOCAB["rec"])) for _ in range(count)]
        if target is not None and rng.random() < 0.4:
            recs.append(f"godkender, at sagen oversendes til {target}")
        if rng.random() < 0.75:
            head = f"At {body},"
            lines = [f"{i}. {r}" for i, r in enumerate(recs, 1)]
        else:
            head = self.expand(f"{{UNIT}} indstiller, at {body}:")
            lines = [f"- {r}" for r in recs]
        return head + "\n\n" + "\n".join(lines)


# --------------------------------------------------------------------------- generation


def _meeting_dates(
    rng: random.Random, body_index: int, body: Body, count: int
) -> list[datetime.date]:
    """Strictly increasing dates for one body, skipping July (summer break)."""
    dates: list[datetime.date] = []
    day = START_DATE + datetime.timedelta(days=body_index)
    for _ in range(count):
        while day.month == 7:
            day += datetime.timedelta(days=7)
        dates.append(day)
        day += datetime.timedelta(days=rng.choice(body.steps))
    return dates


def _roster(rng: random.Random) -> list[str]:
    size = rng.randint(5, 8)
    names: list[str] = []
    while len(names) < size:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in names:
            names.append(name)
    return names


def _meeting_yaml(body: Body, date: datetime.date, rng: random.Random, roster: list[str]) -> str:
    absent: list[str] = []
    if rng.random() < 0.35:
        absent = rng.sample(roster, min(rng.randint(1, 2), len(roster) - 4))
    participants = [name for name in roster if name not in absent]
    meeting_time = body.times[0] if rng.random() < 0.8 else rng.choice(body.times)
    lines = [
        f"body: {_quote(body.name)}",
        f"date: {date.isoformat()}",
        f"time: {_quote(meeting_time)}",
        f"location: {_quote(rng.choice(body.locations))}",
        "participants:",
        *(f"  - {_quote(name)}" for name in participants),
    ]
    if absent:
        lines.append("absent:")
        lines.extend(f"  - {_quote(name)}" for name in absent)
    lines.append("phase: minutes")
    return "\n".join(lines) + "\n"


def _size_target(rng: random.Random) -> int:
    """Bytes of Markdown to aim for: mostly 2.5-6 KB, some 1 KB, some up to 15 KB."""
    r = rng.random()
    if r < 0.15:
        return rng.randint(700, 1400)
    if r < 0.87:
        return rng.randint(2400, 6000)
    return rng.randint(8000, 15000)


def _item_body(w: Writer, body: Body, target_body: str | None, closed: bool) -> str:
    rng = w.rng
    w.start_item()
    target = _size_target(rng)
    if closed:
        target = min(target, rng.randint(900, 3000))
    parts: list[str] = ["## Baggrund"]
    if rng.random() < 0.15:
        parts.append(w.bullets(2, 4))
    else:
        parts.extend(w.paragraph(2, 4) for _ in range(rng.randint(1, 2)))
    if rng.random() < 0.85:
        parts.append("## Indstilling")
        parts.append(w.recommendation(body.name, target_body))
    parts.append("## Beslutning")
    decision = w.expand(rng.choice(VOCAB["decision"]))
    if rng.random() < 0.25:
        decision += " " + w.expand(rng.choice(VOCAB["decision_extra"]))
    parts.append(decision)
    size = sum(len(p.encode("utf-8")) + 2 for p in parts)
    if not closed and (rng.random() < 0.85 or size < target - 1500):
        parts.append("## Sagsfremstilling")
        extras = {
            "bold": rng.random() < 0.2,
            "emph": rng.random() < 0.2,
            "link": rng.random() < 0.15,
            "table": rng.random() < 0.12,
            "bullets": rng.random() < 0.35,
            "subs": rng.random() < 0.4,
        }
        subs_used: list[str] = []
        first = True
        while first or size < target:
            if not first and extras["subs"] and rng.random() < 0.25:
                heading = w.expand(rng.choice(VOCAB["sub"]))
                if heading not in subs_used:
                    subs_used.append(heading)
                    parts.append("### " + heading)
                    size += len(heading.encode("utf-8")) + 6
            paragraph = w.paragraph(3, 7)
            if rng.random() < 0.15:
                label = w.expand("{institution}: ")
                paragraph = label[0].upper() + label[1:] + paragraph
            if extras["bold"] and rng.random() < 0.5:
                paragraph = "**Bemærk:** " + paragraph
                extras["bold"] = False
            if extras["emph"] and rng.random() < 0.5:
                term = w.expand("{term}")
                paragraph += f" Begrebet *{term}* anvendes her som i den gældende lovgivning."
                extras["emph"] = False
            if extras["link"] and rng.random() < 0.4:
                paragraph += " Se også " + w.expand("{link}") + "."
                extras["link"] = False
            parts.append(paragraph)
            size += len(paragraph.encode("utf-8")) + 2
            if extras["bullets"] and rng.random() < 0.3:
                intro = w.expand("Arbejdet omfatter blandt andet følgende elementer:")
                lst = w.bullets()
                parts.extend((intro, lst))
                size += len(intro.encode("utf-8")) + len(lst.encode("utf-8")) + 4
                extras["bullets"] = False
            if extras["table"] and rng.random() < 0.3:
                tbl = w.table()
                parts.append(tbl)
                size += len(tbl.encode("utf-8")) + 2
                extras["table"] = False
            first = False
    return "\n\n".join(parts) + "\n"


def _bind_item(
    w: Writer, body: Body, unit_domain: str, date: datetime.date, topic: str | None
) -> None:
    rng = w.rng
    year = date.year
    unit = rng.choice(UNITS[unit_domain])
    w.ctx = {
        "BODY": body.name,
        "UNIT": unit,
        "UNITS": unit if unit.endswith("s") else unit + "s",
        "YEAR": str(year),
        "PREVYEAR": str(year - 1),
        "NEXTYEAR": str(year + 1),
        "NEXTYEAR1": str(year + 2),
        "NEXTYEAR3": str(year + 4),
        "PLACE": rng.choice(VOCAB["PLACE_"]),
    }
    if topic is None:
        topic = w.expand(rng.choice(TOPICS[unit_domain]))
    w.ctx["TOPIC"] = topic


def generate(root: Path, meetings: int, seed: int = 1) -> tuple[int, int]:
    """Write `meetings` meeting folders under `root`; return (meetings, items) written."""
    rng = random.Random(seed)
    w = Writer(rng)
    n_bodies = min(rng.choice((4, 5, 5, 6)), max(meetings, 1))
    bodies = BODIES[:n_bodies]
    counts = [1 if i < meetings else 0 for i in range(n_bodies)]
    for index in rng.choices(
        range(n_bodies), [b.weight for b in bodies], k=max(meetings - n_bodies, 0)
    ):
        counts[index] += 1

    used_cases: set[str] = set()
    total_items = 0
    for body_index, (body, count) in enumerate(zip(bodies, counts, strict=True)):
        roster = _roster(rng)
        history: list[Case] = []
        target_body = None if body.slug == "byraadet" else "Byrådet"
        if body.slug not in ("direktionen", "byraadet", "oekonomiudvalget") and rng.random() < 0.5:
            target_body = "Økonomiudvalget"
        for date in _meeting_dates(rng, body_index, body, count):
            folder = root / body.slug / date.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "meeting.yaml").write_text(
                _meeting_yaml(body, date, rng, roster), encoding="utf-8", newline="\n"
            )
            n_items = rng.randint(5, 12)
            titles: set[str] = set()
            meeting_cases: set[str] = set()
            new_cases: list[Case] = []
            for number in range(1, n_items + 1):
                title, case, closed, new_case = _choose_case(
                    w, body, date, number, n_items, history, titles, meeting_cases, used_cases
                )
                if new_case is not None and title not in STANDING_TITLES:
                    new_cases.append(new_case)
                item = _front_matter(w, title, case, closed)
                item.text = _item_body(w, body, target_body, closed)
                (folder / f"{number:02d}-{slugify(title)}.md").write_text(
                    item.render(), encoding="utf-8", newline="\n"
                )
            history.extend(new_cases)
            del history[:-60]
            total_items += n_items
    return meetings, total_items


def generate_meeting(folder: Path, items: int, seed: int = 1) -> int:
    """Write one Direktionen meeting with ``items`` items into ``folder``; return items written.

    Deterministic for a given ``seed``; ``folder`` is created and must hold no meeting yet.
    """
    rng = random.Random(seed)
    w = Writer(rng)
    body = BODIES[0]
    roster = _roster(rng)
    date = _meeting_dates(rng, 0, body, 1)[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meeting.yaml").write_text(
        _meeting_yaml(body, date, rng, roster), encoding="utf-8", newline="\n"
    )
    titles: set[str] = set()
    meeting_cases: set[str] = set()
    used_cases: set[str] = set()
    for number in range(1, items + 1):
        title, case, closed, _ = _choose_case(
            w, body, date, number, items, [], titles, meeting_cases, used_cases
        )
        item = _front_matter(w, title, case, closed)
        item.text = _item_body(w, body, "Byrådet", closed)
        (folder / f"{number:02d}-{slugify(title)}.md").write_text(
            item.render(), encoding="utf-8", newline="\n"
        )
    return items


def _new_case_number(rng: random.Random, year: int, used: set[str]) -> str:
    while True:
        number = f"{year % 100:02d}/{rng.randint(10000, 99999)}"
        if number not in used:
            used.add(number)
            return number


def _choose_case(
    w: Writer,
    body: Body,
    date: datetime.date,
    number: int,
    n_items: int,
    history: Sequence[Case],
    titles: set[str],
    meeting_cases: set[str],
    used_cases: set[str],
) -> tuple[str, str, bool, Case | None]:
    """Choose title, case number and closedness; also return a new case to remember."""
    rng = w.rng
    domain = rng.choice(body.domains)
    # Continue an earlier case of this body (same number, same title).
    if history and rng.random() < 0.22:
        for _ in range(5):
            case = rng.choice(history[-30:])
            if case.number not in meeting_cases and case.title not in titles:
                _bind_item(w, body, domain, date, case.topic)
                meeting_cases.add(case.number)
                titles.add(case.title)
                return case.title, case.number, case.closed, None
    for _ in range(20):
        _bind_item(w, body, domain, date, None)
        closed = number > 1 and rng.random() < 1 / 15
        if closed:
            title = w.expand(rng.choice(CLOSED_TITLES))
        elif number == 1 and rng.random() < 0.3:
            title = rng.choice(STANDING_TITLES[:3])
        elif number == n_items and rng.random() < 0.1:
            title = "Eventuelt"
        else:
            title = w.expand(rng.choice(TITLE_TEMPLATES))
        title = title[0].upper() + title[1:]
        if title not in titles:
            break
    titles.add(title)
    case_number = _new_case_number(rng, date.year, used_cases)
    meeting_cases.add(case_number)
    return title, case_number, closed, Case(case_number, title, w.ctx["TOPIC"], closed)


def _front_matter(w: Writer, title: str, case: str, closed: bool) -> Item:
    """The item's front matter: public summary for closed items, sometimes attachments."""
    rng = w.rng
    item = Item(title=title, case=case, text="", closed=closed)
    if closed and rng.random() < 0.8:
        item.public_summary = w.expand(rng.choice(PUBLIC_SUMMARIES))
    if rng.random() < 0.3:
        names: list[str] = []
        for _ in range(rng.randint(1, 4)):
            name = w.expand(rng.choice(VOCAB["attachment"]))
            if name not in names:
                names.append(name)
        item.attachments = names
    return item


# --------------------------------------------------------------------------- CLI


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", type=Path, help="folder to create (must be empty)"
    )
    parser.add_argument("--meetings", type=int, required=True, help="number of meetings to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    out_dir: Path = args.out_dir
    if args.meetings < 0:
        parser.error("--meetings must be 0 or more")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        print(f"generate.py: error: {out_dir} exists and is not an empty folder", file=sys.stderr)
        return 2
    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    meetings, items = generate(out_dir, args.meetings, args.seed)
    elapsed = time.perf_counter() - start
    megabytes = _tree_size(out_dir) / 1_000_000
    print(f"wrote {meetings} meetings, {items} items, {megabytes:.1f} MB to {out_dir}")
    print(f"({elapsed:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
