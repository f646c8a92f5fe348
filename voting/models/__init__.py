"""Models of the voting app, one module per subject; Django finds them here."""

from voting.models.awards import PrizeAward
from voting.models.contest import Entry, LeaderboardSnapshot, Vote
from voting.models.fraud import FraudFlag, FraudScan
from voting.models.traffic import Activity, Visit
from voting.models.voters import OneTimeCode, ServiceToken, SignInPhone, Voter, VoterToken

__all__ = [
    "Activity",
    "Entry",
    "FraudFlag",
    "FraudScan",
    "LeaderboardSnapshot",
    "OneTimeCode",
    "PrizeAward",
    "SignInPhone",
    "ServiceToken",
    "Visit",
    "Vote",
    "Voter",
    "VoterToken",
]
