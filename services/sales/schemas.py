"""Wire shapes of the sales service. The gateway validates and documents HTTP requests with
these same schemas; the service validates again, as the owner of the data. Amounts are
decimal strings with an ISO currency (`infra.fields.Money`, `Currency`)."""
