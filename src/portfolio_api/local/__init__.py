"""The embedded local stack: moto as a stand-in for DynamoDB and Cognito."""
