"""Deal pipelines and their stages (read-only)."""
from . import errors
from .routing import route


def _pipelines(ctx, type_name):
    object_type = ctx.object_type(type_name)
    # HubSpot lets either the object's read scope or its schema read scope list its pipelines.
    ctx.require_any_scope(f"crm.objects.{object_type}.read", f"crm.schemas.{object_type}.read")
    return ctx.portal.pipelines.get(object_type, [])


def _pipeline(ctx, type_name, pipeline_id):
    for pipeline in _pipelines(ctx, type_name):
        if pipeline["id"] == pipeline_id:
            return pipeline
    raise errors.not_found(f"Pipeline {pipeline_id} not found.")


@route("/crm/v3/pipelines/<type_name>", ["GET"])
def get_all(ctx, type_name):
    return 200, {"results": _pipelines(ctx, type_name)}


@route("/crm/v3/pipelines/<type_name>/<pipeline_id>", ["GET"])
def get_by_id(ctx, type_name, pipeline_id):
    return 200, _pipeline(ctx, type_name, pipeline_id)


@route("/crm/v3/pipelines/<type_name>/<pipeline_id>/stages", ["GET"])
def stages(ctx, type_name, pipeline_id):
    return 200, {"results": _pipeline(ctx, type_name, pipeline_id)["stages"]}


@route("/crm/v3/pipelines/<type_name>/<pipeline_id>/stages/<stage_id>", ["GET"])
def stage(ctx, type_name, pipeline_id, stage_id):
    for item in _pipeline(ctx, type_name, pipeline_id)["stages"]:
        if item["id"] == stage_id:
            return 200, item
    raise errors.not_found(f"Stage {stage_id} not found.")
