"""edges/http"""
