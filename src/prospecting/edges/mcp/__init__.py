"""edges/mcp"""
