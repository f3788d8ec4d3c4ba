"""(being written)"""


def record_json(record, properties, portal):
    return {"id": record.id, "properties": dict(record.properties), "createdAt": None, "updatedAt": None,
            "archived": record.archived}


def store_new_record(sandbox, portal, object_type, properties, search_lag):
    raise NotImplementedError
