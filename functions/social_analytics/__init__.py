"""Async Social Analytics: the domain package shared by every Lambda function.

Layout: ``handlers`` (thin Lambda entry points), ``service`` (domain logic, no boto3),
``adapters`` (post sources behind one interface), ``storage`` (the only modules that touch boto3).
"""
